() => {
  const interactive = 'a[href], button, input, select, textarea, [tabindex], [role=button]';
  const nested = [...document.querySelectorAll('[role=img]')]
    .filter(el => el.querySelector(interactive)).map(el => el.id || el.className);
  const roles = {NAV: 'navigation', MAIN: 'main', ASIDE: 'complementary',
                 HEADER: 'banner', FOOTER: 'contentinfo', SECTION: 'region', FORM: 'form'};
  const name = el => {
    const by = el.getAttribute('aria-labelledby');
    if (by) return by.split(/\s+/).map(id => (document.getElementById(id) || {}).textContent || '').join(' ').trim();
    return (el.getAttribute('aria-label') || '').trim();
  };
  const seen = {}, duplicates = [];
  for (const el of document.querySelectorAll('nav, main, aside, header, footer, section, form, [role]')) {
    const role = el.getAttribute('role') || roles[el.tagName];
    if (!role || !['navigation','main','complementary','banner','contentinfo','region','form','search'].includes(role)) continue;
    const label = name(el);
    if ((role === 'region' || role === 'form') && !label) continue;  // not a landmark without a name
    if ((el.tagName === 'HEADER' || el.tagName === 'FOOTER') && el.closest('main, section, article, aside, nav')) continue;
    const key = role + ':' + label;
    if (seen[key]) duplicates.push(key); else seen[key] = true;
  }
  return {nested, duplicates};
}
