"""Institutional buyers (以购代捐, issue 19): organisations, their members and roles.

- ``credit_code``: the unified social credit code's format and check character (GB 32100-2015);
- ``services``: applying, registering, verifying, rejecting, suspending, reinstating (with history);
- ``selectors``: who sees which organisation (registered with ``core.scopes``), a user's roles;
- ``notifications``: the applicant hears of the decision (SMS and e-mail, through the outbox);
- ``backoffice``: the Wagtail screens (operators: all; members: their own organisation, read only);
- ``forms``: the application form (shown by ``storefront``) and the review form.
"""
