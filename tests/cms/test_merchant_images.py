"""Merchants' images: each merchant's pictures live in its own collection, seen and attached only by its
members (and by editors and operators); the shared art may be chosen by every merchant, never edited.

Wagtail's image listing, chooser (its search and collection filter), edit and delete views and upload forms
follow the collection permissions that ``catalog.images`` keeps; the product form refuses an image the
user may not choose."""

import importlib
import io

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from PIL import Image as PILImage
from wagtail.images.models import Image
from wagtail.models import Collection, GroupCollectionPermission
from wagtail.test.utils.form_data import querydict_from_html

from catalog import images as catalog_images
from catalog.models import Merchant, ProductImage
from cms.models import HomePage
from core import roles
from demo import images as demo_images
from tests import factories
from tests.catalog.admin_world import PRODUCT, url
from tests.fixtures.catalog import make_image
from tests.fixtures.http import login
from tests.fixtures.users import english_admin

XHR = {"x-requested-with": "XMLHttpRequest"}


class Pictures:
    def __init__(self, world):
        self.a = filed("alpha-oil-bottle", catalog_images.merchant_collection(world.merchant_a), world.alice)
        self.b = filed("bravo-orange-grove", catalog_images.merchant_collection(world.merchant_b), world.bob)
        self.shared = filed("shared-brocade-pattern", catalog_images.ensure_shared_collection())


def filed(title: str, collection: Collection, uploader=None) -> Image:
    image = make_image(title)
    Image.objects.filter(pk=image.pk).update(collection=collection, uploaded_by_user=uploader)
    image.refresh_from_db()
    return image


def png(name: str = "new.png", colour: tuple[int, int, int] = (40, 128, 78)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    PILImage.new("RGB", (32, 24), colour).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.fixture
def pictures(world) -> Pictures:
    return Pictures(world)


@pytest.fixture
def as_alice(client, world):
    return login(client, world.alice)


def refused(response) -> bool:
    """Wagtail answers a permission it refuses with a redirect to the dashboard (and a message), or 403/404."""
    return response.status_code in (403, 404) or (response.status_code == 302 and response["Location"] == "/admin/")


def listing(client, **params) -> str:
    response = client.get(url("wagtailimages:index"), params)
    assert response.status_code == 200
    return response.content.decode()


def chooser(client, **params) -> str:
    name = "wagtailimages_chooser:choose_results" if params else "wagtailimages_chooser:choose"
    response = client.get(url(name), params)
    assert response.status_code == 200
    return response.content.decode()


# -- The rows behind it --------------------------------------------------------------------


def test_each_merchant_has_its_own_collection_and_group(world):
    a = catalog_images.merchant_collection(world.merchant_a)
    b = catalog_images.merchant_collection(world.merchant_b)

    assert a != b
    assert a.name == world.merchant_a.name and a.get_parent().name == catalog_images.MERCHANT_IMAGES
    group = Group.objects.get(name=catalog_images.group_name(world.merchant_a.pk))
    assert list(group.user_set.all()) == [world.alice]
    granted = {(p.collection.name, p.permission.codename) for p in group.collection_permissions.all()}
    assert granted == {
        (world.merchant_a.name, "add_image"),
        (world.merchant_a.name, "change_image"),
        (world.merchant_a.name, "choose_image"),
        (catalog_images.SHARED_ART, "choose_image"),
    }


def test_the_merchants_role_has_nothing_on_the_root_collection(world):
    roles.sync_roles(django_apps)

    on_root = GroupCollectionPermission.objects.filter(
        collection=Collection.get_first_root_node(), permission__content_type__app_label="wagtailimages"
    )
    assert not on_root.filter(group__name=roles.MERCHANTS).exists()
    assert on_root.filter(group__name=roles.OPERATORS).count() == 4
    assert on_root.filter(group__name=roles.EDITORS).count() == 3


def test_renaming_a_merchant_renames_its_collection(world):
    world.merchant_a.name = "红安油茶新社"
    world.merchant_a.save()

    assert catalog_images.merchant_collection(world.merchant_a).name == "红安油茶新社"
    assert Collection.objects.filter(name="红安油茶新社").count() == 1


# -- Listing, chooser, edit ----------------------------------------------------------------


def test_listing_shows_own_images_only(as_alice, pictures):
    html = listing(as_alice)

    assert pictures.a.title in html
    assert pictures.b.title not in html
    assert pictures.shared.title not in html  # choose only: not in the library's listing


def test_listing_filtered_by_another_merchants_collection_shows_nothing_of_it(as_alice, world, pictures):
    html = listing(as_alice, collection_id=catalog_images.merchant_collection(world.merchant_b).pk)

    assert pictures.b.title not in html
    assert world.merchant_b.name not in html


def test_chooser_offers_own_images_and_the_shared_art_only(as_alice, world, pictures):
    html = chooser(as_alice)

    assert pictures.a.title in html and pictures.shared.title in html
    assert pictures.b.title not in html


def test_chooser_search_never_finds_another_merchants_image(as_alice, pictures):
    assert pictures.b.title not in chooser(as_alice, q="bravo")
    assert pictures.a.title in chooser(as_alice, q="alpha")
    assert pictures.shared.title in chooser(as_alice, q="brocade")


def test_chooser_collection_filter_offers_only_own_collections(as_alice, world, pictures):
    response = as_alice.get(url("wagtailimages_chooser:choose"))
    offered = set(response.context["collections"])
    other = catalog_images.merchant_collection(world.merchant_b)

    assert offered == {catalog_images.merchant_collection(world.merchant_a), catalog_images.ensure_shared_collection()}
    assert pictures.b.title not in chooser(as_alice, collection_id=other.pk)


def test_choosing_another_merchants_image_by_id_is_refused(as_alice, pictures):
    assert refused(as_alice.get(url("wagtailimages_chooser:chosen", pictures.b.pk)))
    chosen = as_alice.get(url("wagtailimages_chooser:chosen_multiple"), {"id": [pictures.b.pk, pictures.a.pk]})
    assert pictures.b.title not in chosen.content.decode()


def test_another_merchants_image_cannot_be_edited_or_deleted(as_alice, pictures):
    for name in ("wagtailimages:edit", "wagtailimages:delete", "wagtailimages:url_generator"):
        assert refused(as_alice.get(url(name, pictures.b.pk))), name
    assert refused(as_alice.post(url("wagtailimages:edit", pictures.b.pk), {"title": "taken"}))
    assert refused(as_alice.post(url("wagtailimages:delete", pictures.b.pk)))
    pictures.b.refresh_from_db()
    assert pictures.b.title == "bravo-orange-grove"


def test_own_merchants_image_can_be_edited_by_any_member(client, world, pictures):
    colleague = english_admin(factories.make_merchant_user(world.merchant_a, "amy"))
    login(client, colleague)

    assert client.get(url("wagtailimages:edit", pictures.a.pk)).status_code == 200


def test_shared_art_can_be_chosen_but_not_edited_or_deleted(as_alice, pictures):
    assert as_alice.get(url("wagtailimages_chooser:chosen", pictures.shared.pk)).status_code == 200
    assert refused(as_alice.get(url("wagtailimages:edit", pictures.shared.pk)))
    assert refused(as_alice.get(url("wagtailimages:delete", pictures.shared.pk)))
    assert refused(as_alice.post(url("wagtailimages:delete", pictures.shared.pk)))
    assert Image.objects.filter(pk=pictures.shared.pk).exists()


# -- Uploads -------------------------------------------------------------------------------


def test_an_upload_lands_in_the_merchants_own_collection(as_alice, world):
    form = as_alice.get(url("wagtailimages:add")).context["form"]
    assert "collection" not in form.fields  # one collection to add to: Wagtail fills it in

    other = catalog_images.merchant_collection(world.merchant_b)
    response = as_alice.post(url("wagtailimages:add"), {"title": "new-oil", "file": png(), "collection": other.pk})

    assert response.status_code == 302
    assert Image.objects.get(title="new-oil").collection == catalog_images.merchant_collection(world.merchant_a)


def test_multiple_and_chooser_uploads_land_in_the_merchants_own_collection(as_alice, world):
    other = catalog_images.merchant_collection(world.merchant_b)
    own = catalog_images.merchant_collection(world.merchant_a)

    multiple = as_alice.post(
        url("wagtailimages:add_multiple"), {"files[]": png("m.png"), "collection": other.pk}, headers=XHR
    )
    chosen = as_alice.post(
        url("wagtailimages_chooser:create"),
        {"image-chooser-upload-title": "chooser-oil", "image-chooser-upload-file": png("c.png", (170, 28, 40))},
    )

    assert multiple.json()["success"] is True
    assert chosen.json()["step"] == "chosen"
    assert set(Image.objects.values_list("collection", flat=True)) == {own.pk}


def test_a_member_of_two_merchants_chooses_between_their_collections_only(client, world):
    third = factories.make_merchant("隘口织锦工坊")
    world.merchant_a.members.add(world.bob)
    third.members.add(world.bob)
    login(client, world.bob)

    form = client.get(url("wagtailimages:add")).context["form"]

    assert set(form.fields["collection"].queryset) == {
        catalog_images.merchant_collection(merchant) for merchant in (world.merchant_a, world.merchant_b, third)
    }


# -- The product form ----------------------------------------------------------------------


def product_form_with_image(client, product, image) -> dict:
    response = client.get(url(f"{PRODUCT}:edit", product.pk))
    data = querydict_from_html(response.content.decode(), form_id="w-editor-form")
    index = int(data["images-TOTAL_FORMS"])
    data.update(
        {
            "images-TOTAL_FORMS": str(index + 1),
            f"images-{index}-id": "",
            f"images-{index}-image": str(image.pk),
            f"images-{index}-alt_text": "",
            f"images-{index}-ORDER": str(index + 1),
            f"images-{index}-DELETE": "",
        }
    )
    return data


def test_another_merchants_image_cannot_be_attached_to_a_product(as_alice, world, pictures):
    data = product_form_with_image(as_alice, world.product_a, pictures.b)

    response = as_alice.post(url(f"{PRODUCT}:edit", world.product_a.pk), data)

    assert response.status_code == 200
    errors = response.context["form"].formsets["images"].errors
    assert [error.code for form in errors for error in form.as_data().get("image", [])] == ["image_not_allowed"]
    assert "You cannot use this image." in response.content.decode()
    assert not ProductImage.objects.filter(product=world.product_a).exists()


@pytest.mark.parametrize("which", ["a", "shared"])
def test_own_images_and_the_shared_art_can_be_attached(as_alice, world, pictures, which):
    image = getattr(pictures, which)
    data = product_form_with_image(as_alice, world.product_a, image)

    response = as_alice.post(url(f"{PRODUCT}:edit", world.product_a.pk), data)

    assert response.status_code == 302
    assert list(ProductImage.objects.filter(product=world.product_a).values_list("image", flat=True)) == [image.pk]


def test_an_image_already_on_the_product_may_stay(as_alice, world, pictures):
    ProductImage.objects.create(product=world.product_a, image=pictures.b, sort_order=0)
    data = product_form_with_image(as_alice, world.product_a, pictures.a)

    response = as_alice.post(url(f"{PRODUCT}:edit", world.product_a.pk), data)

    assert response.status_code == 302
    assert set(ProductImage.objects.filter(product=world.product_a).values_list("image", flat=True)) == {
        pictures.a.pk,
        pictures.b.pk,
    }


# -- Membership ----------------------------------------------------------------------------


def lost_access(client, pictures) -> bool:
    """With no image permission left, the library refuses the user and the chooser offers nothing."""
    return (
        refused(client.get(url("wagtailimages:index")))
        and pictures.a.title not in chooser(client, q="alpha")
        and refused(client.get(url("wagtailimages:edit", pictures.a.pk)))
        and refused(client.get(url("wagtailimages_chooser:chosen", pictures.a.pk)))
    )


def test_removing_a_member_removes_their_access(as_alice, world, pictures):
    assert pictures.a.title in listing(as_alice)

    world.merchant_a.members.remove(world.alice)

    assert lost_access(as_alice, pictures)
    assert refused(as_alice.get(url("wagtailimages_chooser:chosen", pictures.shared.pk)))


def test_removing_the_merchant_from_the_users_side_removes_access_too(as_alice, world, pictures):
    world.alice.merchants.clear()

    assert lost_access(as_alice, pictures)
    assert not world.alice.groups.filter(name__startswith=catalog_images.GROUP_PREFIX).exists()


def test_the_merchant_form_keeps_the_group_in_step(client, world, pictures):
    login(client, world.operator)
    edit = url("merchant:edit", world.merchant_a.pk)
    response = client.get(edit)
    data = querydict_from_html(response.content.decode(), form_id="w-editor-form")
    data.setlist("members", [str(world.bob.pk)])

    assert client.post(edit, data).status_code == 302

    group = Group.objects.get(name=catalog_images.group_name(world.merchant_a.pk))
    assert list(group.user_set.all()) == [world.bob]
    assert lost_access(login(client, world.alice), pictures)


def test_operators_see_and_edit_every_image(client, world, pictures):
    login(client, world.operator)

    html = listing(client)
    choosable = chooser(client)

    for image in (pictures.a, pictures.b, pictures.shared):
        assert image.title in html and image.title in choosable
        assert client.get(url("wagtailimages:edit", image.pk)).status_code == 200


# -- Existing data and the demo ------------------------------------------------------------


def test_the_migration_files_each_merchants_images_and_revokes_the_root_permissions(world):
    migration = importlib.import_module("catalog.migrations.0006_merchant_image_collections")
    root = Collection.get_first_root_node()
    merchants_role = Group.objects.get(name=roles.MERCHANTS)
    for codename in ("add_image", "choose_image"):
        GroupCollectionPermission.objects.create(
            group=merchants_role,
            collection=root,
            permission=catalog_images._image_permissions(django_apps, [codename])[0],
        )
    on_product, uploaded, logo, both = (make_image(title) for title in ("on-product", "uploaded", "logo", "both"))
    ProductImage.objects.create(product=world.product_a, image=on_product)
    Image.objects.filter(pk=uploaded.pk).update(uploaded_by_user=world.bob)
    world.merchant_a.logo = logo
    world.merchant_a.save()
    ProductImage.objects.create(product=world.product_a, image=both)
    ProductImage.objects.create(product=world.product_b, image=both)
    Group.objects.get(name=catalog_images.group_name(world.merchant_b.pk)).delete()

    migration.give_merchants_their_collections(django_apps, None)

    assert not GroupCollectionPermission.objects.filter(
        group=merchants_role, collection=root, permission__content_type__app_label="wagtailimages"
    ).exists()
    collection_of = dict(Image.objects.values_list("title", "collection"))
    a, b = (catalog_images.merchant_collection(m) for m in (world.merchant_a, world.merchant_b))
    assert collection_of == {"on-product": a.pk, "logo": a.pk, "uploaded": b.pk, "both": root.pk}
    assert list(Group.objects.get(name=catalog_images.group_name(world.merchant_b.pk)).user_set.all()) == [world.bob]


def small_jpeg(*args) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (16, 16), (243, 128, 24)).save(buffer, format="JPEG")
    return buffer.getvalue()


def test_the_demo_files_merchants_pictures_in_their_collections_and_the_rest_as_shared_art(db, settings, monkeypatch):
    settings.DEBUG = False
    for name in ("product_picture", "logo_picture", "hero_picture"):
        monkeypatch.setattr(demo_images, name, small_jpeg)  # where they are filed is the question, not how they look
    call_command("load_demo", stdout=io.StringIO())

    shared = catalog_images.ensure_shared_collection()
    for merchant in Merchant.objects.prefetch_related("products__images__image"):
        own = catalog_images.merchant_collection(merchant)
        assert merchant.logo.collection == own, merchant.name
        for product in merchant.products.all():
            assert {picture.image.collection for picture in product.images.all()} == {own}, product.name
    assert HomePage.objects.get(locale__language_code="zh-hans").hero_image.collection == shared
    assert not Image.objects.filter(collection__depth=1).exists()
