"""The back-office roles and what each may do. Applied by a migration; re-applied by load_demo."""

from django.utils.translation import gettext_lazy as _

MERCHANTS = "Merchants"
EDITORS = "Editors"
COUNTER_STAFF = "Counter staff"
OPERATORS = "Operators"
ORGANISATION_MEMBERS = "Organisation members"  # kept in step with orders.Membership (orders.institutions)

ROLE_LABELS = {
    MERCHANTS: _("Merchants"),
    EDITORS: _("Editors"),
    COUNTER_STAFF: _("Counter staff"),
    OPERATORS: _("Operators"),
    ORGANISATION_MEMBERS: _("Organisation members"),
}

CATALOG_MODELS = [
    "merchant",
    "category",
    "product",
    "variant",
    "productimage",
    "location",
    "stock",
    "stockmovement",
    "searchsynonym",
    "pack",
    "packitem",
]

# Editorial snippets and settings (cms): headline figures, footers, site settings; page translations.
EDITORIAL_PERMISSIONS = [
    *[f"cms.{action}_{model}" for model in ("headlinefigure", "footer") for action in ("add", "change", "view")],
    "cms.delete_headlinefigure",
    "cms.change_sitesettings",
    "simple_translation.submit_translation",
]

GROUP_PERMISSIONS: dict[str, list[str]] = {
    MERCHANTS: [
        "wagtailadmin.access_admin",
        "catalog.view_merchant",
        "catalog.add_product",
        "catalog.change_product",
        "catalog.delete_product",
        "catalog.view_product",
        "catalog.view_stock",
        "catalog.change_stock",
        "catalog.view_stockmovement",
        "catalog.view_certificate",
        "catalog.add_certificate",
        "orders.view_order",
        "orders.view_fulfilment",
        "orders.change_fulfilment",
        "orders.view_aidledgerentry",
        "orders.view_settlement",
    ],
    COUNTER_STAFF: [
        "wagtailadmin.access_admin",
        "catalog.view_location",
        "catalog.view_stock",
        "catalog.view_stockmovement",
        "orders.view_order",
        "orders.view_fulfilment",
        "orders.change_fulfilment",
        "orders.add_countersale",
        "orders.view_countersale",
    ],
    EDITORS: [
        "wagtailadmin.access_admin",
        "catalog.view_product",
        "catalog.access_all_merchants",
        *EDITORIAL_PERMISSIONS,
    ],
    OPERATORS: [
        "wagtailadmin.access_admin",
        "catalog.access_all_merchants",
        *[f"catalog.{action}_{model}" for model in CATALOG_MODELS for action in ("add", "change", "delete", "view")],
        "catalog.view_certificate",
        "catalog.add_certificate",
        "catalog.review_certificate",
        "orders.view_order",
        "orders.change_order",
        "orders.view_fulfilment",
        "orders.change_fulfilment",
        "orders.view_countersale",
        "orders.view_orderevent",
        "orders.change_shopsettings",
        "storefront.change_storefrontsettings",
        *EDITORIAL_PERMISSIONS,
        "orders.view_payment",
        "orders.view_stripeevent",
        "orders.view_refund",
        "orders.add_refund",
        "orders.view_aidledgerentry",
        "orders.view_settlement",
        "orders.add_settlement",
        "orders.change_aidsettings",
        "worker.view_notification",
        "worker.change_notification",
        "worker.view_failedtask",
        "worker.change_failedtask",
        "orders.view_organisation",
        "orders.add_organisation",
        "orders.change_organisation",
        "orders.review_organisation",
        "orders.add_coupon",
        "orders.change_coupon",
        "orders.view_coupon",
        "orders.view_couponcode",
        "orders.view_couponredemption",
        "orders.add_voucherbatch",
        "orders.change_voucherbatch",
        "orders.view_voucherbatch",
        "orders.view_voucher",
    ],
    ORGANISATION_MEMBERS: [
        "wagtailadmin.access_admin",
        "orders.view_organisation",
    ],
}

# Image-library permissions, granted on the root collection. Merchants have none here: each merchant's
# members get their own collection, and may choose the shared art (``catalog.images``).
COLLECTION_PERMISSIONS: dict[str, list[str]] = {
    EDITORS: ["add_image", "change_image", "choose_image"],
    OPERATORS: ["add_image", "change_image", "delete_image", "choose_image"],
}

# Page permissions, granted on the root page.
PAGE_PERMISSIONS: dict[str, list[str]] = {
    EDITORS: ["add_page", "change_page"],
    OPERATORS: ["add_page", "change_page", "publish_page", "lock_page", "unlock_page"],
}


def sync_roles(apps) -> None:
    """Create the groups and grant their permissions, skipping permissions not yet migrated.

    Called from migrations (with historical ``apps``) whenever an app adds models whose
    permissions a role needs, so a fresh database and an old one end up the same.
    """
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = models_module

    Group = apps.get_model("auth.Group")
    Permission = apps.get_model("auth.Permission")
    Collection = apps.get_model("wagtailcore.Collection")
    GroupCollectionPermission = apps.get_model("wagtailcore.GroupCollectionPermission")
    Page = apps.get_model("wagtailcore.Page")
    GroupPagePermission = apps.get_model("wagtailcore.GroupPagePermission")

    def permissions(app_label: str, codenames: list[str]):
        return Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)

    root_collection = Collection.objects.filter(depth=1).first()
    root_page = Page.objects.filter(depth=1).first()
    for name, perms in GROUP_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=name)
        for dotted in perms:
            app_label, codename = dotted.split(".")
            group.permissions.add(*permissions(app_label, [codename]))
        for perm in permissions("wagtailimages", COLLECTION_PERMISSIONS.get(name, [])):
            GroupCollectionPermission.objects.get_or_create(group=group, collection=root_collection, permission=perm)
        for perm in permissions("wagtailcore", PAGE_PERMISSIONS.get(name, [])):
            GroupPagePermission.objects.get_or_create(group=group, page=root_page, permission=perm)
