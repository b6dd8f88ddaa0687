"""Each merchant gets its own image collection; merchants lose the root collection.

Until now the Merchants role could add and choose images on the root collection, so every merchant saw,
and could attach, every other merchant's pictures. From here on (``catalog.images``):

- the roles are synced again (``core.roles`` no longer grants Merchants anything on the root collection)
  and the Merchants role's image permissions on the root collection are removed;
- the shared art collection ("共享图片") is created;
- every merchant gets its collection under "商户图片" and its group, holding its members.

An image in the root collection that belongs to exactly one merchant (on its products, its logo, or
uploaded by one of its members) moves into that merchant's collection, so merchants keep their own
pictures. Any other image stays where it is, for operators and editors to file (``load_demo`` files the
demo's pictures itself).
"""

from collections import defaultdict

from django.db import migrations

from catalog import images
from core.roles import MERCHANTS, sync_roles


def give_merchants_their_collections(apps, schema_editor):
    sync_roles(apps)  # creates the image permissions on a fresh database, grants what the roles hold now
    GroupCollectionPermission = apps.get_model("wagtailcore", "GroupCollectionPermission")
    GroupCollectionPermission.objects.filter(
        group__name=MERCHANTS, collection__depth=1, permission__content_type__app_label="wagtailimages"
    ).delete()
    images.ensure_shared_collection(apps)
    for merchant in apps.get_model("catalog", "Merchant").objects.order_by("pk"):
        images.sync_merchant_members(merchant, apps)
    file_merchants_images(apps)


def file_merchants_images(apps):
    Merchant = apps.get_model("catalog", "Merchant")
    ProductImage = apps.get_model("catalog", "ProductImage")
    Image = apps.get_model("wagtailimages", "Image")
    owners = defaultdict(set)  # image pk -> the merchants it belongs to
    for image_id, merchant_id in ProductImage.objects.values_list("image_id", "product__merchant_id"):
        owners[image_id].add(merchant_id)
    for merchant_id, logo_id in Merchant.objects.filter(logo__isnull=False).values_list("pk", "logo_id"):
        owners[logo_id].add(merchant_id)
    for image_id, merchant_id in Image.objects.filter(uploaded_by_user__merchants__isnull=False).values_list(
        "pk", "uploaded_by_user__merchants"
    ):
        owners[image_id].add(merchant_id)
    by_merchant = defaultdict(list)
    for image_id, merchant_ids in owners.items():
        if len(merchant_ids) == 1:
            by_merchant[merchant_ids.pop()].append(image_id)
    for merchant in Merchant.objects.filter(pk__in=by_merchant).order_by("pk"):
        collection = images.merchant_collection(merchant, apps)
        Image.objects.filter(pk__in=by_merchant[merchant.pk], collection__depth=1).update(collection=collection)


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0005_merchant_wording_location_county"),
        ("wagtailimages", "0027_image_description"),
        ("wagtailcore", "0097_baselogentry_uuid_action_timestamp_indexes"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(give_merchants_their_collections, migrations.RunPython.noop)]
