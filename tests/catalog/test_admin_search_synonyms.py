"""Search synonyms in the back office: operators keep them; merchants, editors and counter staff never see them."""

import pytest

from catalog.models import SearchSynonym
from core import roles
from tests import factories
from tests.catalog.admin_world import url
from tests.fixtures.http import login
from tests.fixtures.users import english_admin

pytestmark = pytest.mark.django_db


@pytest.fixture
def synonym(db):
    return SearchSynonym.objects.create(word="橙子", synonyms="脐橙 柑橘")


def test_operators_add_change_and_remove_synonyms(client, world):
    login(client, world.operator)
    assert client.get("/admin/").content.decode().count(url("searchsynonym:index")) >= 1  # in the menu

    added = client.post(url("searchsynonym:add"), {"word": " 桔子 ", "synonyms": "柑橘，椪柑、沃柑"})
    assert added.status_code == 302
    row = SearchSynonym.objects.get(word="桔子")
    assert row.synonyms == "柑橘 椪柑 沃柑"

    listing = client.get(url("searchsynonym:index"), {"q": "桔子"})
    assert listing.status_code == 200 and "柑橘 椪柑 沃柑" in listing.content.decode()

    edited = client.post(url("searchsynonym:edit", row.pk), {"word": "桔子", "synonyms": "椪柑"})
    assert edited.status_code == 302
    row.refresh_from_db()
    assert row.synonyms == "椪柑"

    assert client.post(url("searchsynonym:delete", row.pk)).status_code == 302
    assert not SearchSynonym.objects.filter(pk=row.pk).exists()


def test_a_word_is_defined_once(client, world, synonym):
    response = login(client, world.operator).post(url("searchsynonym:add"), {"word": "橙子", "synonyms": "冰糖橙"})
    assert response.status_code == 200
    assert "word" in response.context["form"].errors
    assert SearchSynonym.objects.get(word="橙子").synonyms == "脐橙 柑橘"


@pytest.fixture
def outsider(request, world):
    """A merchant member, an editor or counter staff: back-office users who are not operators."""
    if request.param == "merchant":
        return world.alice
    return english_admin(factories.make_user(group=request.param))


@pytest.mark.parametrize("outsider", ["merchant", roles.EDITORS, roles.COUNTER_STAFF], indirect=True)
def test_only_operators_reach_the_synonym_screens(client, world, synonym, outsider):
    login(client, outsider)

    assert url("searchsynonym:index") not in client.get("/admin/").content.decode()  # not in the menu
    for page in (
        url("searchsynonym:index"),
        url("searchsynonym:add"),
        url("searchsynonym:edit", synonym.pk),
        url("searchsynonym:delete", synonym.pk),
    ):
        response = client.get(page)
        assert response.status_code in (302, 403), page
        assert synonym.synonyms not in response.content.decode()

    client.post(url("searchsynonym:add"), {"word": "桔子", "synonyms": "柑橘"})
    client.post(url("searchsynonym:edit", synonym.pk), {"word": "橙子", "synonyms": "榴莲"})
    client.post(url("searchsynonym:delete", synonym.pk))
    assert list(SearchSynonym.objects.values_list("word", "synonyms")) == [("橙子", "脐橙 柑橘")]
