// consent finds cookie and consent banners. With mode "dismiss" it clicks
// the first button that closes one, preferring refusal to acceptance; with
// mode "detect" it only looks. It returns {clicked, remaining, what}: the
// text of the button clicked, whether a banner still covers the page, and
// a description of that banner. It touches few elements, so that it costs
// little on large pages.
(mode) => {
  const consentRe = /cookie|consent|gdpr|\bcmp\b|onetrust|didomi|usercentrics|quantcast|trustarc|cookiebot|privacy[-_ ]?(banner|notice|prompt)/i;
  const cookieTextRe = /cookie|consent/i;
  const choiceRe = /accept|agree|reject|refuse|decline|allow|deny|manage|settings|preferences|options|choices|\bok\b|got it|continue/i;
  // Buttons that name cookies are unambiguous anywhere on the page.
  const explicitRe = /^(refuse|reject|decline|deny|accept|allow|agree to|use)( all| only)?( non[- ]essential| optional| necessary| essential)? cookies( only)?$|^only (allow )?(necessary|essential) cookies$/;
  // Generic buttons count only inside a banner.
  const refuseRe = /^(reject|refuse|decline|deny)( all| non[- ]essential| optional)?$|^(necessary|essential) only$|^only (necessary|essential)$|^continue without (accepting|agreeing)$/;
  const acceptRe = /^(accept|allow|agree)( all)?$|^i (agree|accept)$|^(accept|agree) (and|&) (continue|close)$|^(ok|okay|got it|understood)$/;

  const norm = (s) => (s || "").replace(/[\u2019\u2018]/g, "'").replace(/\s+/g, " ").trim().toLowerCase();
  const vw = innerWidth, vh = innerHeight;
  const visible = (el) => {
    const st = getComputedStyle(el);
    if (st.display === "none" || st.visibility === "hidden" || parseFloat(st.opacity) === 0) return false;
    const r = el.getBoundingClientRect();
    return r.width > 1 && r.height > 1;
  };
  const label = (el) => [el.id, typeof el.className === "string" ? el.className : el.getAttribute("class"),
    el.getAttribute("aria-label"), el.getAttribute("data-testid")].filter(Boolean).join(" ");
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    (typeof el.className === "string" && el.className.trim() ? "." + el.className.trim().split(/\s+/).slice(0, 2).join(".") : "");
  // isBanner: named like one, or laid over the page, short, about cookies,
  // with a choice to make.
  const isBanner = (el) => {
    if (consentRe.test(label(el))) return true;
    const st = getComputedStyle(el);
    if (st.position !== "fixed" && st.position !== "absolute") return false;
    const text = el.innerText || "";
    if (text.length > 3000 || !cookieTextRe.test(text)) return false;
    for (const b of el.querySelectorAll('button, a, [role="button"], input[type="button"], input[type="submit"]')) {
      if (choiceRe.test(b.innerText || b.value || "")) return true;
    }
    return false;
  };
  const banner = (el) => {
    for (let n = el, depth = 0; n && n !== document.body && depth < 12; n = n.parentElement, depth++) {
      if (isBanner(n)) return n;
    }
    return null;
  };

  let clicked = "";
  if (mode === "dismiss") {
    const roots = [document];
    for (const el of document.querySelectorAll("*")) if (el.shadowRoot) roots.push(el.shadowRoot);
    const buttons = [];
    for (const root of roots) {
      for (const el of root.querySelectorAll('button, [role="button"], a, input[type="button"], input[type="submit"]')) {
        const raw = el.innerText || el.value || el.getAttribute("aria-label") || "";
        if (raw.length > 80) continue;
        const text = norm(raw);
        if (!explicitRe.test(text) && !refuseRe.test(text) && !acceptRe.test(text)) continue;
        if (visible(el)) buttons.push({ el, text });
      }
    }
    const pick = (test) => buttons.find(test);
    const choice =
      pick((b) => explicitRe.test(b.text) && /refuse|reject|decline|deny|only|necessary|essential/.test(b.text)) ||
      pick((b) => explicitRe.test(b.text)) ||
      pick((b) => refuseRe.test(b.text) && banner(b.el)) ||
      pick((b) => acceptRe.test(b.text) && banner(b.el));
    if (choice) {
      choice.el.click();
      clicked = choice.text;
    }
  }

  // What still covers the page: a banner under one of a grid of points.
  const seen = new Set();
  for (const fy of [0.03, 0.25, 0.5, 0.75, 0.97]) {
    for (const fx of [0.1, 0.5, 0.9]) {
      for (const top of document.elementsFromPoint(fx * vw, fy * vh).slice(0, 2)) {
        for (let n = top; n && n !== document.body && n !== document.documentElement; n = n.parentElement) {
          if (seen.has(n)) break;
          seen.add(n);
          if (!isBanner(n) || !visible(n)) continue;
          const r = n.getBoundingClientRect();
          if (r.width * r.height < 0.03 * vw * vh) continue;
          return { clicked, remaining: true, what: describe(n) };
        }
      }
    }
  }
  return { clicked, remaining: false, what: "" };
}
