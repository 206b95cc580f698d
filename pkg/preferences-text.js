// The preference center's texts, English and Polish. `{name}` placeholders are filled with text (never HTML).

export const TEXTS = {
  en: {
    loading: "Loading your preferences…",
    for: "Preferences for {contact}",
    topics: "Topics",
    topicsHint: "Choose what you want to hear about.",
    frequency: "How often",
    freq_null: "As it happens",
    freq_weekly: "At most once a week",
    freq_monthly: "At most once a month",
    freq_important_only: "Only important messages",
    channels: "Channels",
    channel_email: "Email",
    channel_sms: "Text messages (SMS)",
    channelsHint: "This shows the choices made on this page and through our unsubscribe links. If you unsubscribed another way, for example with your email app's unsubscribe button, it may not show here; it still applies.",
    notOffered_email: "Email cannot be turned on here.",
    notOffered_sms: "Text messages are sent only to people who agreed to them with their phone number, so they cannot be turned on here.",
    pause: "Take a break",
    pauseLabel: "Pause all messages until",
    pauseHint: "Leave empty to keep receiving messages.",
    pauseClear: "Resume now",
    pausePast: "Choose a date after today.",
    all: "Unsubscribe from everything",
    allLabel: "Unsubscribe me from all marketing messages",
    allHint: "Messages about your account and orders still arrive.",
    changes: "What will change",
    noChanges: "Nothing changes yet.",
    start: "You will start receiving: {list}.",
    stop: "You will stop receiving: {list}.",
    freqChange: "How often: {from} → {to}.",
    channelOn: "{channel}: on.",
    channelOff: "{channel}: off.",
    pauseSet: "All messages paused until {date}.",
    pauseEnd: "The pause ends now.",
    allOn: "You will receive no marketing messages.",
    allOff: "You will receive marketing messages again.",
    save: "Save preferences",
    saving: "Saving…",
    saved: "Your preferences are saved.",
    saveFailed: "Your preferences could not be saved. Please try again.",
    badLink: "This link has expired or is not valid. Use the link in the latest message you received.",
    loadFailed: "Your preferences could not be loaded. Check your connection and try again.",
    retry: "Try again",
  },
  pl: {
    loading: "Wczytywanie preferencji…",
    for: "Preferencje dla: {contact}",
    topics: "Tematy",
    topicsHint: "Wybierz, o czym chcesz dostawać wiadomości.",
    frequency: "Jak często",
    freq_null: "Na bieżąco",
    freq_weekly: "Najwyżej raz w tygodniu",
    freq_monthly: "Najwyżej raz w miesiącu",
    freq_important_only: "Tylko ważne wiadomości",
    channels: "Kanały",
    channel_email: "E-mail",
    channel_sms: "Wiadomości tekstowe (SMS)",
    channelsHint: "Tu widać wybory zapisane na tej stronie i przez nasze linki do wypisania się. Jeśli wypisałeś się inaczej, na przykład przyciskiem w programie pocztowym, może to tu nie być widoczne; nadal obowiązuje.",
    notOffered_email: "Nie można tu włączyć e-maili.",
    notOffered_sms: "SMS-y wysyłamy tylko osobom, które zgodziły się na nie, podając numer telefonu, więc nie można ich tu włączyć.",
    pause: "Przerwa",
    pauseLabel: "Wstrzymaj wszystkie wiadomości do",
    pauseHint: "Zostaw puste, aby nadal otrzymywać wiadomości.",
    pauseClear: "Wznów teraz",
    pausePast: "Wybierz datę późniejszą niż dzisiejsza.",
    all: "Wypisz mnie ze wszystkiego",
    allLabel: "Wypisz mnie ze wszystkich wiadomości marketingowych",
    allHint: "Wiadomości o koncie i zamówieniach nadal będą przychodzić.",
    changes: "Co się zmieni",
    noChanges: "Na razie nic się nie zmienia.",
    start: "Zaczniesz otrzymywać: {list}.",
    stop: "Przestaniesz otrzymywać: {list}.",
    freqChange: "Jak często: {from} → {to}.",
    channelOn: "{channel}: włączone.",
    channelOff: "{channel}: wyłączone.",
    pauseSet: "Wszystkie wiadomości wstrzymane do {date}.",
    pauseEnd: "Przerwa kończy się teraz.",
    allOn: "Nie będziesz otrzymywać wiadomości marketingowych.",
    allOff: "Znów będziesz otrzymywać wiadomości marketingowe.",
    save: "Zapisz preferencje",
    saving: "Zapisywanie…",
    saved: "Twoje preferencje zostały zapisane.",
    saveFailed: "Nie udało się zapisać preferencji. Spróbuj ponownie.",
    badLink: "Ten link wygasł lub jest nieprawidłowy. Użyj linku z najnowszej otrzymanej wiadomości.",
    loadFailed: "Nie udało się wczytać preferencji. Sprawdź połączenie i spróbuj ponownie.",
    retry: "Spróbuj ponownie",
  },
};

/** The locale for `element`: its own `lang`, the closest ancestor's, then the browser's languages; else English. */
export function pickLocale(element, languages = globalThis.navigator?.languages ?? []) {
  const candidates = [element.closest("[lang]")?.getAttribute("lang"), ...languages];
  for (const tag of candidates) {
    const base = String(tag ?? "").toLowerCase().split("-")[0];
    if (base in TEXTS) return base;
  }
  return "en";
}

/** `text` with `{name}` replaced from `values`. */
export function fill(text, values = {}) {
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}
