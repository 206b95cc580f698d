// <rekindle-cta>: shows the call to action the engine chose for the visitor (D17, D25), from templates the site
// wrote. The playbook never supplies HTML: the chosen CTA picks one of the site's <template>s, and the only data
// written into it (the CTA id and variant) goes in as text. No shadow DOM, so the site's CSS applies.
//
//   <rekindle-cta>
//     <template data-cta="book_demo"><a href="/demo">Book a demo</a></template>
//     <template data-variant="cta/checklist"><a href="/checklist">Get the checklist</a></template>
//     <a data-rekindle-fallback href="/contact">Talk to us</a>
//   </rekindle-cta>
//
// Fallback content is ordinary markup, visible until a CTA renders — so it is what shows when JS or wasm cannot
// load. Content the edge Worker already injected (the element carries `data-rekindle-cta-id`) is adopted, not
// re-rendered: no flicker; it changes only when a later event on this page changes the decision. A chosen CTA with
// no template here (by `data-cta`, then `data-variant`) leaves the fallback showing and logs one console warning
// per CTA naming the template to add.

const BaseElement = globalThis.HTMLElement ?? class {};
/** What a keyboard reaches by Tab: where focus goes when the focused CTA is replaced. */
const FOCUSABLE = 'a[href], area[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), ' +
  'select:not([disabled]), textarea:not([disabled]), summary, iframe, [contenteditable]:not([contenteditable="false"]), ' +
  '[tabindex]:not([tabindex="-1"])';

export class CtaElement extends BaseElement {
  static tracker = null;
  #unsubscribe = null;
  #shown = null; // the CTA id on screen
  #adopted = false;
  #impressions = new Set();
  #missing = new Set(); // CTA ids already warned about: no template for them

  connectedCallback() {
    const tracker = CtaElement.tracker;
    if (tracker === null) return; // fallback mode: the markup as written stays
    const edge = this.getAttribute("data-rekindle-cta-id");
    if (edge) {
      this.#shown = edge;
      this.#adopted = true;
      this.#impression(edge);
    }
    this.#unsubscribe = tracker.subscribe((decision) => this.#show(decision));
  }

  disconnectedCallback() {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
  }

  #show(decision) {
    const cta = decision?.cta ?? null;
    if (this.#adopted) {
      // The first answer is the one the edge already rendered (or one the edge could not know about yet).
      this.#adopted = false;
      return;
    }
    const id = cta?.id ?? null;
    if (id === this.#shown) return;
    const template = id === null ? null : this.#template(cta);
    // Removing or hiding the focused CTA would drop keyboard focus to <body>: note it, and put it back below.
    const active = this.ownerDocument.activeElement;
    const hadFocus = active !== null && active !== this && this.contains(active);
    this.querySelector(":scope > [data-rekindle-rendered]")?.remove();
    for (const fallback of this.querySelectorAll(":scope > [data-rekindle-fallback]")) fallback.hidden = template !== null;
    this.#shown = template === null ? null : id;
    if (template === null && id !== null && !this.#missing.has(id)) {
      // The engine chose a CTA this widget has no markup for: the visitor sees the fallback, the site should know.
      this.#missing.add(id);
      const name = this.id ? `<rekindle-cta id="${this.id}">` : "<rekindle-cta>";
      const variant = cta.variant ? ` or data-variant="${cta.variant}"` : "";
      globalThis.console?.warn?.(`rekindle: ${name} has no <template data-cta="${id}">${variant} for the chosen CTA: ` +
        "its fallback markup shows instead");
    }
    if (template === null) {
      this.removeAttribute("data-rekindle-cta-id");
      if (hadFocus) this.#keepFocus(this.querySelectorAll(":scope > [data-rekindle-fallback]"));
      return;
    }
    const holder = this.ownerDocument.createElement("div");
    holder.setAttribute("data-rekindle-rendered", "");
    holder.setAttribute("data-rekindle-cta", id);
    holder.append(template.content.cloneNode(true));
    for (const slot of holder.querySelectorAll("[data-field]")) {
      const field = slot.getAttribute("data-field");
      if (field === "id" || field === "variant") slot.textContent = cta[field] ?? "";
    }
    this.setAttribute("data-rekindle-cta-id", id);
    this.append(holder);
    if (hadFocus) this.#keepFocus([holder]);
    this.#impression(id);
  }

  /**
   * Focus was inside the CTA that just changed: if it is lost, move it to the first focusable element of what
   * is shown now (`places`), or to the first place itself (made focusable with tabindex=-1), so a keyboard or
   * screen-reader user stays where they were. Focus that is elsewhere on the page is never taken.
   */
  #keepFocus(places) {
    const active = this.ownerDocument.activeElement;
    if (active !== null && active !== this.ownerDocument.body && this.contains(active)) return;
    const shown = [...places].filter((place) => !place.hidden);
    for (const place of shown) {
      for (const candidate of [place, ...place.querySelectorAll(FOCUSABLE)]) {
        if (!candidate.matches(FOCUSABLE) || candidate.closest("[hidden], [inert]")) continue;
        candidate.focus({ preventScroll: true });
        if (this.ownerDocument.activeElement === candidate) return;
      }
    }
    const target = shown[0] ?? this;
    if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
    target.focus({ preventScroll: true });
  }

  #template(cta) {
    for (const t of this.querySelectorAll(":scope > template")) {
      if (t.getAttribute("data-cta") === cta.id) return t;
    }
    if (cta.variant) {
      for (const t of this.querySelectorAll(":scope > template")) {
        if (t.getAttribute("data-variant") === cta.variant) return t;
      }
    }
    return null;
  }

  /** One `custom:cta_impression` per CTA per page, so a playbook can cool down an offer seen too often. */
  #impression(id) {
    if (this.#impressions.has(id)) return;
    this.#impressions.add(id);
    CtaElement.tracker?.track("cta_impression", { cta: id });
  }
}
