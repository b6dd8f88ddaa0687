"""Each merchant's own image collection, and the shared art every merchant may attach.

Wagtail scopes its image library by collection (``CollectionOwnershipPermissionPolicy``): the listing,
the chooser (its search and its collection filter too), the edit view and the upload forms' collection
all follow the ``GroupCollectionPermission`` rows of the user's groups. So the rule is written as rows:

- every merchant has a collection, a child of "商户图片" (``MERCHANT_IMAGES``), named after it;
- and a group "商户图片:<merchant pk>" holding add, change and choose on that collection, and only
  choose on "共享图片" (``SHARED_ART``, the shared art: merchants attach it, never edit or delete it);
- that group's users are exactly the merchant's members (``catalog.signals`` calls
  ``sync_merchant_members`` / ``sync_user_merchant_groups`` whenever the members change);
- the Merchants role has no image permission on the root collection (``core.roles``); editors and
  operators keep theirs, so they see every collection.

The group is the link between a merchant and its collection: the collection is the one the group may
add images to. Uploads by a merchant's member therefore land in the merchant's collection (Wagtail hides
the collection field when a user may add to only one).

The functions take ``apps`` so the data migration can run them with the historical models; collections
are tree nodes (treebeard's materialised path), created here without treebeard's model methods.
"""

from django.apps import apps as global_apps
from django.db import transaction
from django.db.models import F, QuerySet

MERCHANT_IMAGES = "商户图片"
SHARED_ART = "共享图片"
GROUP_PREFIX = "商户图片:"

MERCHANT_COLLECTION_PERMISSIONS = ("add_image", "change_image", "choose_image")
SHARED_ART_PERMISSIONS = ("choose_image",)

_PATH_STEP = 4
_PATH_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def group_name(merchant_pk: int) -> str:
    return f"{GROUP_PREFIX}{merchant_pk}"


def _encode_step(number: int) -> str:
    digits = ""
    while number:
        number, digit = divmod(number, len(_PATH_ALPHABET))
        digits = _PATH_ALPHABET[digit] + digits
    return digits.rjust(_PATH_STEP, "0")


def _root_collection(Collection):
    root = Collection.objects.filter(depth=1).order_by("path").first()
    if root is None:  # only on a flushed database (transactional tests): Wagtail's migration made it
        root = Collection.objects.create(name="Root", path=_encode_step(1), depth=1, numchild=0)
    return root


def _add_child(Collection, parent, name: str):
    """A new last child of ``parent``; the parent row is locked so two children never get one path."""
    parent = Collection.objects.select_for_update().get(pk=parent.pk)
    last = (
        Collection.objects.filter(path__startswith=parent.path, depth=parent.depth + 1)
        .order_by("-path")
        .values_list("path", flat=True)
        .first()
    )
    step = int(last[-_PATH_STEP:], len(_PATH_ALPHABET)) + 1 if last else 1
    child = Collection.objects.create(
        name=name, path=parent.path + _encode_step(step), depth=parent.depth + 1, numchild=0
    )
    Collection.objects.filter(pk=parent.pk).update(numchild=F("numchild") + 1)
    return child


def _top_collection(name: str, apps):
    """The collection called ``name`` directly under the root, created if missing."""
    Collection = apps.get_model("wagtailcore", "Collection")
    with transaction.atomic():
        root = _root_collection(Collection)
        found = Collection.objects.filter(path__startswith=root.path, depth=2, name=name).order_by("path").first()
        return found or _add_child(Collection, root, name)


def ensure_shared_collection(apps=global_apps):
    """The shared art ("共享图片"): generic pictures every merchant may choose."""
    return _top_collection(SHARED_ART, apps)


def _image_permissions(apps, codenames) -> list:
    Permission = apps.get_model("auth", "Permission")
    return list(
        Permission.objects.filter(
            content_type__app_label="wagtailimages", content_type__model="image", codename__in=codenames
        )
    )


def merchant_collection(merchant, apps=global_apps):
    """The merchant's collection (the one its group may add images to), or None before it is made."""
    GroupCollectionPermission = apps.get_model("wagtailcore", "GroupCollectionPermission")
    row = (
        GroupCollectionPermission.objects.filter(
            group__name=group_name(merchant.pk),
            permission__content_type__app_label="wagtailimages",
            permission__codename="add_image",
        )
        .select_related("collection")
        .order_by("collection__path")
        .first()
    )
    return row.collection if row is not None else None


def ensure_merchant_collection(merchant, apps=global_apps):
    """The merchant's collection and group, created or put right: the collection carries the merchant's
    name; the group may add, change and choose images there, and only choose the shared art."""
    Collection = apps.get_model("wagtailcore", "Collection")
    Group = apps.get_model("auth", "Group")
    GroupCollectionPermission = apps.get_model("wagtailcore", "GroupCollectionPermission")
    with transaction.atomic():
        group, _created = Group.objects.get_or_create(name=group_name(merchant.pk))
        collection = merchant_collection(merchant, apps)
        if collection is None:
            collection = _add_child(Collection, _top_collection(MERCHANT_IMAGES, apps), merchant.name)
        elif collection.name != merchant.name:
            Collection.objects.filter(pk=collection.pk).update(name=merchant.name)
            collection.name = merchant.name
        shared = ensure_shared_collection(apps)
        wanted = [
            *[(collection, permission) for permission in _image_permissions(apps, MERCHANT_COLLECTION_PERMISSIONS)],
            *[(shared, permission) for permission in _image_permissions(apps, SHARED_ART_PERMISSIONS)],
        ]
        keep = [
            GroupCollectionPermission.objects.get_or_create(group=group, collection=where, permission=permission)[0].pk
            for where, permission in wanted
        ]
        GroupCollectionPermission.objects.filter(group=group).exclude(pk__in=keep).delete()
    return collection


def sync_merchant_members(merchant, apps=global_apps) -> None:
    """The merchant's image group holds exactly its members: a removed member loses the images."""
    Group = apps.get_model("auth", "Group")
    ensure_merchant_collection(merchant, apps)
    Group.objects.get(name=group_name(merchant.pk)).user_set.set(merchant.members.all())


def sync_user_merchant_groups(user, apps=global_apps) -> None:
    """The user is in the image groups of exactly the merchants it is a member of."""
    Group = apps.get_model("auth", "Group")
    merchants = list(user.merchants.all())
    for merchant in merchants:
        ensure_merchant_collection(merchant, apps)
    wanted = [group_name(merchant.pk) for merchant in merchants]
    user.groups.remove(*Group.objects.filter(name__startswith=GROUP_PREFIX).exclude(name__in=wanted))
    user.groups.add(*Group.objects.filter(name__in=wanted))


def remove_merchant_group(merchant_pk: int, apps=global_apps) -> None:
    """A deleted merchant's group goes (its members lose the collection); the collection and its images
    stay for the operators."""
    apps.get_model("auth", "Group").objects.filter(name=group_name(merchant_pk)).delete()


def images_user_may_choose(user) -> QuerySet:
    """The images ``user`` may attach: those Wagtail's image chooser offers them."""
    from wagtail.images.permissions import permission_policy

    return permission_policy.instances_user_has_any_permission_for(user, ["choose"])
