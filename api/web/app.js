// eggwatch web page: login, open alerts with an acknowledge button, report downloads.
// Every action goes through the JSON API with the bearer token; the server checks the roles.
// The token lives in sessionStorage (gone when the tab is closed); the page itself is rendered
// only for a valid session cookie, which POST /web/session sets from the same token. The cookie
// is HttpOnly: this script never sees it, and the JSON API never accepts it.
"use strict";

(function () {
  const TOKEN_KEY = "eggwatch.token";
  const JUST_LOGGED_IN = "eggwatch.justLoggedIn";
  const words = JSON.parse(document.getElementById("words").textContent);
  const lang = document.body.dataset.lang;
  const tz = document.body.dataset.tz;
  const pageUser = document.body.dataset.user; // the session's user id; "" on the login page
  const $ = (id) => document.getElementById(id);

  function token() { return sessionStorage.getItem(TOKEN_KEY); }

  async function api(method, path, body) {
    const headers = { Accept: "application/json", Authorization: "Bearer " + token() };
    const init = { method, headers };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    if (response.status === 401) {
      tokenExpired();
      throw new Error("unauthorized");
    }
    return response;
  }

  function show(el, text) {
    el.textContent = text;
    el.hidden = !text;
  }

  // Month-day and time in the park's zone, as the header writes dates (12-01 22:27): the same in
  // both languages, and not read as the first of December in one and the twelfth of January in another.
  const stamp = new Intl.DateTimeFormat("en-US", {
    timeZone: tz, month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  });

  function when(iso) {
    if (!iso) return "";
    const part = {};
    for (const p of stamp.formatToParts(new Date(iso))) part[p.type] = p.value;
    return `${part.month}-${part.day} ${part.hour}:${part.minute}`;
  }

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // A laying drop (and a counter fault, heat stress) is measured in hen-day percentage points, a
  // water or feed drop in percent of the usual amount (analytics/alert.py): 20 points is not 20 %.
  const IN_POINTS = new Set(["laying_drop", "sensor_fault", "heat_stress"]);

  function drop(kind, value) {
    return (IN_POINTS.has(kind) ? words.drop_points : words.drop_pct).replace("{n}", value.toFixed(1));
  }

  function renderAlert(a) {
    const li = el("li", "alert " + a.status);
    li.dataset.id = a.id;
    const head = el("div", "alert-head");
    const kind = words["kind_" + a.kind] || a.kind;
    const row = a.row ? " · " + words.row + " " + a.row : "";
    head.append(el("b", "", a.unit + " · " + kind + row));
    head.append(el("span", "pill " + a.status, words[a.status] || a.status));
    li.append(head);
    const message = lang === "zh" ? (a.message_zh || a.message) : a.message;
    li.append(el("p", "", message));
    const magnitude = a.magnitude_pct === null ? "" : " · " + drop(a.kind, a.magnitude_pct);
    li.append(el("p", "muted", when(a.opened_at) + magnitude));
    if (a.status === "open") {
      const button = el("button", "ack", words.acknowledge);
      button.type = "button";
      // A screen reader lists the buttons by name: say which alert, not "acknowledge" six times.
      button.setAttribute("aria-label", words.acknowledge + " " + a.unit + " · " + kind + row);
      button.addEventListener("click", () => acknowledge(a.id, button));
      li.append(button);
    } else if (a.acknowledged_by) {
      li.append(el("p", "muted", words.acknowledged + " · " + a.acknowledged_by + " · " + when(a.acknowledged_at)));
    }
    return li;
  }

  async function loadAlerts() {
    const list = $("alert-list");
    show($("alert-error"), "");
    try {
      const pages = await Promise.all(["open", "acknowledged"].map((s) => api("GET", "/api/v1/alerts?status=" + s + "&limit=100")));
      if (pages.some((r) => r.status === 403)) {
        list.replaceChildren();
        show($("alert-error"), words.forbidden);
        return;
      }
      if (!pages.every((r) => r.ok)) throw new Error("alerts " + pages.map((r) => r.status).join(","));
      const items = (await Promise.all(pages.map((r) => r.json()))).flatMap((p) => p.items);
      list.replaceChildren(...items.map(renderAlert));
      if (!items.length) list.append(el("li", "muted", words.no_alerts));
    } catch (err) {
      if (token()) show($("alert-error"), words.error);
    }
  }

  const locale = lang === "zh" ? "zh-CN" : "en-US";
  const numbers = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  // Money in yuan to the fen, as the payroll and the XLSX report have it (226,500.88, not 226,501).
  const yuan = new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });

  // A table row of ``tag`` cells from [text, isNumber] pairs (numbers align right).
  function tableRow(tag, cells, cls) {
    const tr = el("tr", cls);
    tr.append(...cells.map(([text, isNumber]) => el(tag, isNumber ? "num" : "", text)));
    return tr;
  }

  // A card with a table filled from one GET of the API (``path(box)``): ``fill`` turns the answer
  // into the head row and the body rows. The card stays hidden until then; a failed call shows why.
  async function loadTable(id, path, fill) {
    const box = $(id);
    if (!box) return; // not this role's: the server left it out
    const error = box.querySelector("p.error");
    show(error, "");
    try {
      const response = await api("GET", path(box));
      if (!response.ok) throw new Error(id + " " + response.status);
      const [head, rows] = fill(await response.json());
      box.querySelector("thead").replaceChildren(head);
      box.querySelector("tbody").replaceChildren(...rows);
    } catch (err) {
      if (!token()) return;
      show(error, words.error);
    }
    box.hidden = false;
  }

  // The employment report as the poverty office reads it: a row a month (the townships summed; a
  // worker belongs to one household, so to one township) and the year's total, the server's labels.
  const MONTH_KEYS = ["workers", "poor_workers", "person_days", "wages"];
  const MONEY_KEYS = new Set(["wages"]);

  function employmentTable(report) {
    const label = Object.fromEntries(report.columns.map((c) => [c.key, c.label]));
    const months = new Map();
    let total = null;
    for (const row of report.rows) {
      if (row.month === "total") {
        total = row;
        continue;
      }
      const sum = months.get(row.month) || Object.fromEntries([["month", row.month], ...MONTH_KEYS.map((k) => [k, 0])]);
      for (const k of MONTH_KEYS) {
        // Money summed in whole fen (the townships' yuan as floats drift: 81862.60999999999).
        sum[k] = MONEY_KEYS.has(k) ? (Math.round(sum[k] * 100) + Math.round(row[k] * 100)) / 100 : sum[k] + row[k];
      }
      months.set(row.month, sum);
    }
    const cell = (k, v) => [(MONEY_KEYS.has(k) ? yuan : numbers).format(v), true];
    const line = (name, row, cls) => tableRow("td", [[name], ...MONTH_KEYS.map((k) => cell(k, row[k]))], cls);
    const rows = [...months.values()].map((m) => line(monthName(m.month), m));
    if (total) rows.push(line(words.year_total, total, "total"));
    return [tableRow("th", [[label.month], ...MONTH_KEYS.map((k) => [label[k], true])]), rows];
  }

  // Months as Chinese readers write them: this year's (the card says 本年) 11月, a run's 2026年11月;
  // 2026-11 in English.
  function monthName(ym) {
    return lang === "zh" ? Number(ym.slice(5, 7)) + "月" : ym;
  }

  function yearMonth(ym) {
    return lang === "zh" ? ym.slice(0, 4) + "年" + monthName(ym) : ym;
  }

  // A run pays the local dates [period_start, period_end): a whole month reads 2026年11月 / 2026-11,
  // other periods their first and last day.
  function period(start, end) {
    const last = new Date(Date.parse(end + "T00:00:00Z") - 86400000).toISOString().slice(0, 10);
    const wholeMonth = start.endsWith("-01") && last.slice(0, 7) === start.slice(0, 7) && end.endsWith("-01");
    return wholeMonth ? yearMonth(start.slice(0, 7)) : start + " – " + last;
  }

  // The latest payroll runs, for the clerks and the managers: period, status, workers, net total;
  // a button under them fetches the runs before, a page at a time.
  const RUNS_PAGE = 6;
  const runsPath = (offset) => "/api/v1/payroll/runs?limit=" + RUNS_PAGE + "&offset=" + offset;

  function runRows(page) {
    const rows = page.items.map((r) =>
      tableRow("td", [
        [period(r.period_start, r.period_end)],
        [words["run_" + r.status] || r.status],
        [numbers.format(r.workers), true],
        [yuan.format(r.net_total), true],
      ]),
    );
    const shown = page.offset + page.items.length;
    if (page.items.length && page.total > shown) rows.push(earlierRuns(shown));
    return rows;
  }

  function earlierRuns(offset) {
    const tr = el("tr", "more");
    const td = el("td");
    td.colSpan = 4;
    const button = el("button", "link", words.earlier_runs);
    button.type = "button";
    button.addEventListener("click", async () => {
      button.disabled = true;
      const error = $("payroll-runs").querySelector("p.error");
      show(error, "");
      try {
        const response = await api("GET", runsPath(offset));
        if (!response.ok) throw new Error("payroll-runs " + response.status);
        tr.replaceWith(...runRows(await response.json()));
      } catch (err) {
        button.disabled = false;
        if (token()) show(error, words.error);
      }
    });
    td.append(button);
    tr.append(td);
    return tr;
  }

  function payrollTable(page) {
    const rows = runRows(page);
    if (!rows.length) {
      const td = el("td", "muted", words.no_runs);
      td.colSpan = 4;
      rows.push(el("tr"));
      rows[0].append(td);
    }
    return [tableRow("th", [[words.period], [words.run_status], [words.run_workers, true], [words.net_total, true]]), rows];
  }

  function loadReports() {
    return Promise.all([
      loadTable("employment", (box) => "/api/v1/reports/employment?year=" + box.dataset.year + "&by=township&lang=" + lang, employmentTable),
      loadTable("payroll-runs", () => runsPath(0), payrollTable),
    ]);
  }

  async function acknowledge(id, button) {
    button.disabled = true;
    try {
      const response = await api("POST", "/api/v1/alerts/" + id + "/acknowledge", {});
      if (response.status === 403 || response.status === 404) {
        show($("alert-error"), words.forbidden);
      } else if (!response.ok && response.status !== 409) {
        throw new Error("acknowledge " + response.status);
      }
      await loadAlerts(); // 409: someone else acknowledged it meanwhile; show the current state
    } catch (err) {
      button.disabled = false;
      if (token()) show($("alert-error"), words.error);
    }
  }

  async function login(event) {
    event.preventDefault();
    const form = event.target;
    show($("login-error"), "");
    const body = new URLSearchParams({ username: form.username.value, password: form.password.value });
    try {
      const response = await fetch("/api/v1/auth/token", { method: "POST", body });
      if (!response.ok) {
        const why = { 401: words.login_failed, 429: words.too_many_logins }[response.status];
        show($("login-error"), why || words.error);
        return;
      }
      const accessToken = (await response.json()).access_token;
      // The page's session cookie: the server checks the token and keeps it where scripts can't.
      const session = await fetch("/web/session", { method: "POST", headers: { Authorization: "Bearer " + accessToken } });
      if (!session.ok) {
        show($("login-error"), words.error);
        return;
      }
      sessionStorage.setItem(TOKEN_KEY, accessToken);
      sessionStorage.setItem(JUST_LOGGED_IN, "1");
      form.reset();
      location.reload(); // the server renders the figures now
    } catch (err) {
      show($("login-error"), words.error);
    }
  }

  // The alerts' box: only on the pages of roles that may see alerts (the server renders it or not).
  const alertBox = $("alert-box");

  function askForLogin() {
    // A logged-in page in a tab without its own token (e.g. a new tab): figures yes, alerts after login.
    if (alertBox) alertBox.hidden = true;
    $("login").hidden = false;
  }

  async function signedIn() {
    $("login").hidden = true;
    if (alertBox) alertBox.hidden = false;
    try {
      const me = await api("GET", "/api/v1/auth/me");
      if (!me.ok) throw new Error("me " + me.status);
      if (String((await me.json()).id) !== pageUser) {
        // Someone else logged in since in another tab: this tab's token is not the page's user.
        sessionStorage.removeItem(TOKEN_KEY);
        askForLogin();
        return;
      }
    } catch (err) {
      if (token() && alertBox) show($("alert-error"), words.error);
      return;
    }
    await Promise.all([alertBox ? loadAlerts() : null, loadReports()]);
  }

  function tokenExpired() {
    // Let the server decide from the cookie what to show: the login page, or the figures without alerts.
    sessionStorage.removeItem(TOKEN_KEY);
    location.reload();
  }

  async function logout() {
    sessionStorage.removeItem(TOKEN_KEY);
    try {
      await fetch("/web/session", { method: "DELETE" });
    } catch (err) {
      // offline: the cookie still ends with the token's expiry
    }
    location.reload();
  }

  async function download(event) {
    // Reports need the bearer token, which a plain link cannot send: fetch, then save the blob.
    event.preventDefault();
    const link = event.currentTarget;
    if (!token()) {
      $("login").scrollIntoView();
      show($("login-error"), words.login_hint);
      return;
    }
    // Failures show under the links: the login form (and its error line) is hidden once logged in.
    const error = $("report-error");
    show(error, "");
    try {
      const response = await api("GET", link.getAttribute("href"));
      if (!response.ok) {
        show(error, response.status === 403 ? words.forbidden_report : words.error);
        return;
      }
      const url = URL.createObjectURL(await response.blob());
      const a = el("a");
      a.href = url;
      a.download = link.dataset.filename;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (err) {
      if (token()) show(error, words.error);
    }
  }

  const justLoggedIn = sessionStorage.getItem(JUST_LOGGED_IN) === "1";
  sessionStorage.removeItem(JUST_LOGGED_IN);
  $("login").addEventListener("submit", login);
  if (pageUser) {
    $("logout").addEventListener("click", logout);
    document.querySelectorAll("a.report").forEach((a) => a.addEventListener("click", download));
    if (token()) signedIn();
    else askForLogin();
  } else if (token()) {
    // The server no longer accepts the session (logged out in another tab, expired, or the browser
    // refused the cookie right after logging in): this tab's token goes too.
    sessionStorage.removeItem(TOKEN_KEY);
    show($("login-error"), justLoggedIn ? words.cookie_refused : words.session_ended);
  }
})();
