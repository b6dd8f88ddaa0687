/*
 * The page editor: a Chinese title fills the page's slug in pinyin (秀山脐橙的故事 → xiushan-qicheng-de-gushi).
 *
 * Wagtail's slug field follows the title as the editor types (its w-sync and w-slug controllers) while the
 * slug still matches the title; it keeps Chinese as it is. When it has just written a slug from a title with
 * Chinese in it (the w-slug:applied event), this asks the server for the title's pinyin slug
 * (cms.slugs.pinyin_slug, at the address in the script's data-slug-url) and writes that instead, unless the
 * editor changed the slug meanwhile. A slug written so still counts as matching its title, so the slug keeps
 * following the title. Loaded by the insert_editor_js hook (cms/wagtail_hooks.py): no inline script.
 */
(() => {
  const script = document.currentScript;
  const url = script && script.dataset.slugUrl;
  const CHINESE = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/;
  const written = new Map(); // title → the pinyin slug written for it
  let pending = null;

  const isSlug = (element) =>
    element instanceof HTMLInputElement && element.name === 'slug' && element.matches('[data-controller~="w-slug"]');

  document.addEventListener('w-slug:applied', (event) => {
    const input = event.target;
    const { action, sourceValue = '', cleanValue = '' } = event.detail || {};
    if (!url || !isSlug(input) || action !== 'urlify' || !CHINESE.test(sourceValue)) return;
    const title = sourceValue.trim();
    if (pending) pending.abort();
    pending = new AbortController();
    fetch(`${url}?${new URLSearchParams({ title })}`, {
      signal: pending.signal,
      credentials: 'same-origin',
      headers: { Accept: 'application/json' },
    })
      .then((response) => (response.ok ? response.json() : null))
      .then((data) => {
        if (!data || !data.slug || input.value !== cleanValue) return;
        written.set(title, data.slug);
        input.value = data.slug;
        input.dispatchEvent(new Event('change', { bubbles: true }));
      })
      .catch(() => {});
  });

  // Wagtail checks, when the title gets focus, whether the slug still matches the title as it would write
  // it; a pinyin slug written here for that title matches, so the check is not left to Wagtail.
  document.addEventListener(
    'w-sync:check',
    (event) => {
      const input = event.target;
      if (!isSlug(input)) return;
      const title = ((event.detail && event.detail.value) || '').trim();
      if (input.value && written.get(title) === input.value) event.stopImmediatePropagation();
    },
    true,
  );
})();
