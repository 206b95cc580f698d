// The standalone preference page (`/www/preferences.html?t=<token>`): picks the language from ?lang= or the
// browser, then defines <rekindle-preferences>, which loads and saves through the endpoint. No wasm is needed
// here: the endpoint verifies the token.
import { defineElements } from "/pkg/browser.js";

const PAGE_TEXT = {
  en: { title: "Email preferences", intro: "Choose what we send you and how often. You can change this at any time." },
  pl: { title: "Preferencje wiadomości", intro: "Wybierz, co i jak często mamy Ci wysyłać. Możesz to zmienić w każdej chwili." },
};

const params = new URLSearchParams(location.search);
const wanted = [params.get("lang"), ...navigator.languages].map((tag) => String(tag ?? "").toLowerCase().split("-")[0]);
const lang = wanted.find((tag) => tag in PAGE_TEXT) ?? "en";
document.documentElement.lang = lang;
for (const node of document.querySelectorAll("[data-text]")) node.textContent = PAGE_TEXT[lang][node.dataset.text];
document.title = `${PAGE_TEXT[lang].title} · Acme Analytics`;
for (const link of document.querySelectorAll("[data-lang]")) {
  const next = new URL(location.href);
  next.searchParams.set("lang", link.dataset.lang);
  link.href = next.href;
  if (link.dataset.lang === lang) link.setAttribute("aria-current", "true");
}
defineElements();
