/*
 * The page editor: an editor's own save, submit or publish waits for an autosave under way.
 *
 * Wagtail's first autosave of a new page creates the page, and only once it has answered points the form at
 * that page's edit view. An editor who pressed "save draft" (or publish) meanwhile sent the form to the create
 * view a second time: two pages of one title, or the new page's slug refused. So a submit that comes while an
 * autosave is pending (waiting out its interval, or sent) is held until the autosave has answered, then made
 * again, to wherever the form then points, with the button the editor pressed (Wagtail has disabled it by
 * then, so its name and value travel in a hidden field). Loaded by the insert_editor_js hook.
 */
(() => {
  const pendingAutosave = (form) => {
    const autosave = window.wagtail?.app?.getControllerForElementAndIdentifier(form, 'w-autosave');
    return autosave?.submitPromise ?? null;
  };

  const resubmit = (form, submitter) => {
    const pending = pendingAutosave(form);
    if (pending) {
      pending.finally(() => resubmit(form, submitter));
      return;
    }
    let carried = null;
    if (submitter?.name) {
      carried = Object.assign(document.createElement('input'), {
        type: 'hidden',
        name: submitter.name,
        value: submitter.value,
      });
      form.append(carried);
    }
    form.requestSubmit();
    carried?.remove(); // the form's data was read as it was submitted
  };

  document.addEventListener(
    'submit',
    (event) => {
      const form = event.target;
      if (!(form instanceof HTMLFormElement) || !form.matches('[data-controller~="w-autosave"]')) return;
      if (!pendingAutosave(form)) return;
      event.preventDefault();
      event.stopImmediatePropagation();
      resubmit(form, event.submitter);
    },
    true,
  );
})();
