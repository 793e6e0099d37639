import { el } from './dom.js';
import { installServiceKeyboard } from './service-keyboard.js';
import { SERVICE_STRINGS } from './service-strings.js';

/**
 * The technician's service page, over the customer screen. It is opened by a hidden gesture (five
 * taps in the top-left corner within 3 s) or, on the customer keypad, which has no * or #, by
 * 清除 ⌫ 清除 ⌫ 清除 (Clear Delete Clear Delete Clear with no digit between); a USB keyboard may
 * type *#service#. Everything it does goes through the daemon's service API with the
 * technician's session: the daemon decides (lockout, rate limits, waiting for the customer in
 * progress, what a test may do); the page only words its answers for the technician.
 */

const CORNER_PX = 160;
const CORNER_TAPS = 5;
const CORNER_WINDOW_MS = 3000;
const KEYPAD_SEQUENCE = ['clear', 'delete', 'clear', 'delete', 'clear'];
const KEYBOARD_SEQUENCE = '*#service#';
/** How often the page asks whether its session still exists (the daemon ends it after 10 min idle). */
const SESSION_CHECK_MS = 3000;
const TEST_SECONDS = '30';
const SESSION_HEADER = 'x-service-session';
/**
 * A login page nobody touches closes by itself: left open, it would hide the customer screen
 * from every customer while the kiosk is still in service.
 */
const LOGIN_IDLE_MS = 60_000;

export function installServicePage(link) {
  const root = document.createElement('section');
  root.id = 'service';
  root.hidden = true;
  document.body.insertBefore(root, document.getElementById('toast'));

  const state = {
    open: false,
    view: 'login',
    token: null,
    status: null,
    busy: false,
    /**
     * { say(), kind: 'error' | 'ok' | 'info', code } shown under the current view's heading; `say`
     * words it when drawn, so the language toggle rewords it too.
     */
    notice: null,
    /** What the current view last read or did (a command's result). */
    data: null,
    waiting: null,
    collection: null,
    counts: {},
    receiptLanguage: 'zh-CN',
    /** Kept across renders (a failed login keeps the id); the password never is. */
    technicianId: '',
    /** Which login field gets the focus when the login is drawn again: 'id' | 'password'. */
    loginField: 'id',
  };
  const s = () => SERVICE_STRINGS[document.documentElement.lang === 'en' ? 'en' : 'zh-CN'];
  const keyboard = installServiceKeyboard(root, () => s().keyboard);

  // --- ways in ---------------------------------------------------------------------------
  let lastTouch = Date.now();
  for (const type of ['pointerdown', 'keydown']) {
    document.addEventListener(type, () => {
      lastTouch = Date.now();
    });
  }
  let cornerTaps = [];
  document.addEventListener(
    'pointerdown',
    (event) => {
      if (state.open || event.clientX > CORNER_PX || event.clientY > CORNER_PX) return;
      const now = Date.now();
      cornerTaps = [...cornerTaps.filter((at) => now - at < CORNER_WINDOW_MS), now];
      if (cornerTaps.length >= CORNER_TAPS) {
        cornerTaps = [];
        // The tap ends on the login drawn under it: left alone, it would take the focus from
        // the id field (and so the on-screen keyboard) to nothing.
        event.preventDefault();
        open();
      }
    },
    true,
  );
  let keypadKeys = [];
  document.addEventListener(
    'click',
    (event) => {
      const key = event.target instanceof Element ? event.target.closest('.key')?.dataset.key : undefined;
      if (state.open || key === undefined) return;
      keypadKeys = [...keypadKeys, key].slice(-KEYPAD_SEQUENCE.length);
      if (keypadKeys.join() === KEYPAD_SEQUENCE.join()) {
        keypadKeys = [];
        void releaseNumberEntry();
        open();
      }
    },
    true,
  );
  let typed = '';
  document.addEventListener('keydown', (event) => {
    if (state.open || event.key.length !== 1) return;
    typed = (typed + event.key.toLowerCase()).slice(-KEYBOARD_SEQUENCE.length);
    if (typed === KEYBOARD_SEQUENCE) {
      typed = '';
      open();
    }
  });
  // The customer screen sets the language on every render: redraw only when it changed, so a
  // field being typed in is not rebuilt under the technician's fingers.
  let shownLanguage = document.documentElement.lang;
  new MutationObserver(() => {
    if (document.documentElement.lang === shownLanguage) return;
    shownLanguage = document.documentElement.lang;
    if (state.open) render();
  }).observe(document.documentElement, { attributes: true, attributeFilter: ['lang'] });

  /**
   * The keypad sequence is keyed on the number entry, where no note can be in yet: that top-up
   * or query is cancelled, so the kiosk can enter maintenance at once rather than after the
   * entry's time-out.
   */
  async function releaseNumberEntry() {
    const screen = document.body.dataset.screen;
    if (screen === 'topUp.enteringAccount') await link.send('POST', '/topups/current/cancel');
    if (screen === 'balance.enteringAccount') await link.send('POST', '/balance-queries/current/cancel');
  }

  function open() {
    state.open = true;
    state.view = state.token === null ? 'login' : 'menu';
    render();
  }

  function close() {
    state.open = false;
    state.view = 'login';
    state.notice = null;
    state.data = null;
    render();
  }

  // --- talking to the daemon ---------------------------------------------------------------

  /** The technician's words for a refusal: by its service code, else the daemon's reason. */
  function refusal(body) {
    const error = body?.error ?? {};
    const words = s().errors[error.serviceCode];
    if (typeof words === 'function') return words(error.lockedUntil ?? '');
    if (words !== undefined && error.serviceCode !== 'badArgs' && error.serviceCode !== 'notFound')
      return words;
    return s().failedBecause(error.reason ?? error.message ?? String(body));
  }

  async function call(method, path, body, onOk) {
    state.busy = true;
    render();
    const headers = state.token === null ? {} : { [SESSION_HEADER]: state.token };
    const answer = await link.send(method, path, body, headers);
    state.busy = false;
    state.waiting = null;
    if (answer.ok) {
      onOk(answer.body);
    } else if (answer.body?.error?.serviceCode === 'noSession') {
      sessionGone(() => s().sessionExpired);
    } else {
      state.notice = {
        kind: 'error',
        code: answer.body?.error?.serviceCode ?? String(answer.status),
        say: () => (answer.status === 0 ? s().noAnswer : refusal(answer.body)),
      };
    }
    render();
    return answer;
  }

  const run = (cmd, args, onOk) =>
    call('POST', '/service/commands', { cmd, args }, (body) => onOk(body.result));

  function login(technician, password) {
    state.notice = null;
    return call('POST', '/service/session', { technician, password }, (body) => {
      state.token = body.sessionToken;
      state.status = body;
      state.technicianId = '';
      state.loginField = 'id';
      state.view = 'menu';
      state.notice = null;
    });
  }

  function sessionGone(say) {
    state.token = null;
    state.status = null;
    state.view = 'login';
    state.data = null;
    state.collection = null;
    state.notice = { kind: 'info', code: 'sessionEnded', say };
    lastTouch = Date.now(); // the technician gets the whole minute to read why and log in again
    if (!state.open) state.open = true;
  }

  async function exit() {
    await call('DELETE', '/service/session', {}, () => {
      state.token = null;
      state.status = null;
      close();
    });
  }

  /** The daemon ends an idle session by itself: the page learns it here and asks for a login. */
  setInterval(async () => {
    if (state.open && state.token === null && !state.busy && Date.now() - lastTouch > LOGIN_IDLE_MS) close();
    if (state.token === null || state.busy) return;
    const answer = await link.read('/service/session');
    if (!answer.ok || state.token === null) return;
    const before = state.status ?? {};
    if (answer.body.serviceMode === 'off' || answer.body.technician !== before.technician) {
      sessionGone(() => s().sessionExpired);
    } else {
      state.status = answer.body;
      // Only a change of state redraws: a redraw rebuilds the fields being typed in.
      if (answer.body.serviceMode === before.serviceMode && answer.body.kioskMode === before.kioskMode)
        return;
    }
    if (state.open) render();
  }, SESSION_CHECK_MS);

  // --- building the views ------------------------------------------------------------------

  function render() {
    root.hidden = !state.open;
    document.body.dataset.service = state.open ? state.view : 'closed';
    if (!state.open) {
      root.replaceChildren();
    } else {
      root.replaceChildren(el('div', { class: 'service-panel' }, ...VIEWS[state.view]()));
    }
    keyboard.refresh();
  }

  const VIEWS = {
    login: buildLogin,
    menu: buildMenu,
    devices: buildDevices,
    tests: buildTests,
    kiosk: buildKiosk,
    journal: buildJournal,
    reprint: buildReprint,
    collection: buildCollection,
  };

  function noticeLine() {
    if (state.notice === null) return null;
    return el(
      'p',
      {
        class: `service-notice ${state.notice.kind}`,
        'data-testid': 'service-notice',
        'data-code': state.notice.code ?? '',
      },
      state.notice.say(),
    );
  }

  function header(title) {
    return el(
      'header',
      { class: 'service-header' },
      el('h1', {}, title),
      state.status?.technician
        ? el(
            'p',
            { class: 'service-who', 'data-testid': 'service-status' },
            `${s().technician} ${state.status.technician} · ${s().serviceState[state.status.serviceMode] ?? state.status.serviceMode}`,
          )
        : null,
    );
  }

  function buildLogin() {
    const id = el('input', {
      id: 'service-technician',
      class: 'service-input',
      autocomplete: 'off',
      autocapitalize: 'off',
      spellcheck: 'false',
      maxlength: '64',
      value: state.technicianId,
    });
    id.addEventListener('input', () => {
      state.technicianId = id.value;
    });
    const password = el('input', {
      id: 'service-password',
      class: 'service-input',
      type: 'password',
      autocomplete: 'off',
      maxlength: '128',
    });
    const submit = (event) => {
      event.preventDefault();
      const technician = id.value.trim();
      state.technicianId = technician;
      const secret = password.value;
      password.value = '';
      if (technician === '' || secret === '') return;
      void login(technician, secret);
    };
    const form = el(
      'form',
      { class: 'service-form', onsubmit: submit },
      el('label', { for: 'service-technician' }, s().technicianId),
      id,
      el('label', { for: 'service-password' }, s().password),
      password,
      el(
        'div',
        { class: 'service-actions' },
        serviceButton(s().close, close, { testId: 'service-close' }),
        el(
          'button',
          { type: 'submit', class: 'button primary', disabled: state.busy, 'data-testid': 'service-login' },
          state.busy ? s().working : s().login,
        ),
      ),
    );
    // The focus (and with it the on-screen keyboard) goes back to the field that had it (after a
    // refusal, which keeps the id: the password). Focus left on the language button counts as
    // none: the login is redrawn in the other language and the keyboard comes back with it.
    id.addEventListener('focus', () => (state.loginField = 'id'));
    password.addEventListener('focus', () => (state.loginField = 'password'));
    queueMicrotask(() => {
      if (root.contains(document.activeElement)) return;
      (state.loginField === 'password' ? password : id).focus();
    });
    return [header(s().loginTitle), el('p', { class: 'service-hint' }, s().loginHint), noticeLine(), form];
  }

  function buildMenu() {
    const status = state.status ?? {};
    const entries = Object.entries(s().menu).map(([view, label]) =>
      serviceButton(label, () => show(view), { kind: 'service-tile', testId: `service-menu-${view}` }),
    );
    return [
      header(s().menuTitle),
      el(
        'dl',
        { class: 'service-facts' },
        fact(s().kioskMode, s().modes[status.kioskMode] ?? status.kioskMode ?? ''),
        status.idleExpiresAt ? el('p', { class: 'service-hint' }, s().idleUntil(status.idleExpiresAt)) : null,
      ),
      noticeLine(),
      el('div', { class: 'service-tiles' }, entries),
      el(
        'div',
        { class: 'service-actions' },
        serviceButton(s().exit, exit, { kind: 'primary', testId: 'service-exit' }),
      ),
    ];
  }

  function show(view) {
    state.view = view;
    state.notice = null;
    state.data = null;
    render();
    if (view === 'devices') void run('devices', [], (result) => (state.data = result));
    if (view === 'journal') void loadJournal();
    if (view === 'collection') void loadCollection();
    if (view === 'reprint')
      void run('last-payment', [], (result) => (state.data = { paymentId: result.payment?.paymentId ?? '' }));
  }

  function backToMenu() {
    state.view = 'menu';
    state.notice = null;
    state.data = null;
    render();
  }

  function footer(...extra) {
    return el(
      'div',
      { class: 'service-actions' },
      serviceButton(s().back, backToMenu, { testId: 'service-back' }),
      ...extra,
    );
  }

  function buildDevices() {
    const devices = state.data?.devices ?? [];
    return [
      header(s().menu.devices),
      noticeLine(),
      el(
        'div',
        { class: 'service-list', 'data-testid': 'service-devices' },
        devices.map((device) =>
          el(
            'article',
            { class: 'service-card', 'data-device': device.device },
            el('h2', {}, device.device),
            el(
              'dl',
              { class: 'service-facts' },
              fact(s().deviceState, describeStatus(device.status)),
              fact(s().identity, flatten(device.identity)),
              fact(s().counters, flatten(device.counters)),
              device.diagnosticsError ? fact('!', device.diagnosticsError) : null,
              fact(
                s().lastFaults,
                (device.lastFaults ?? []).length === 0
                  ? s().noFaults
                  : device.lastFaults
                      .slice(0, 3)
                      .map((f) => `${f.at.slice(11, 19)} ${f.state}${f.reason ? ` (${f.reason})` : ''}`)
                      .join('; '),
              ),
            ),
          ),
        ),
      ),
      footer(serviceButton(s().refresh, () => show('devices'), { testId: 'service-refresh' })),
    ];
  }

  function buildTests() {
    const t = s();
    const waiting = state.waiting;
    return [
      header(t.menu.tests),
      noticeLine(),
      waiting ? el('p', { class: 'service-waiting', 'data-testid': 'service-waiting' }, waiting()) : null,
      el(
        'div',
        { class: 'service-tests' },
        testRow(t.testAcceptor, t.testAcceptorHint, 'test-acceptor', () =>
          runTest('test-acceptor', [TEST_SECONDS], () => s().testAcceptorWaiting, acceptorWords),
        ),
        testRow(t.testPrinter, '', 'test-printer', () =>
          runTest('test-printer', [], null, () => s().printerResult),
        ),
        testRow(t.testPinPad, t.testPinPadHint, 'test-pinpad', () =>
          runTest(
            'test-pinpad',
            [TEST_SECONDS],
            () => s().testPinPadWaiting,
            (r) => s().pinPadResult(r.keys, r.completion),
          ),
        ),
      ),
      footer(),
    ];
  }

  function acceptorWords(result) {
    const words = s().acceptorResult;
    if (result.outcome === 'returned')
      return words.returned(result.denomination ? s().yuan(result.denomination) : '');
    if (result.outcome === 'rejected') return words.rejected(result.reason ?? '');
    return words.noNote;
  }

  function testRow(title, hint, testId, onclick) {
    return el(
      'div',
      { class: 'service-test' },
      el('div', {}, el('h2', {}, title), hint ? el('p', { class: 'service-hint' }, hint) : null),
      serviceButton(title, onclick, { kind: 'primary', testId }),
    );
  }

  function runTest(cmd, args, waitingWords, resultWords) {
    state.notice = null;
    state.waiting = waitingWords;
    return run(cmd, args, (result) => {
      state.notice = { kind: 'ok', code: result.outcome ?? 'ok', say: () => resultWords(result) };
    });
  }

  function buildKiosk() {
    const t = s();
    const status = state.status ?? {};
    return [
      header(t.kioskTitle),
      el('p', { class: 'service-hint' }, t.kioskHint),
      el('dl', { class: 'service-facts' }, fact(t.kioskMode, t.modes[status.kioskMode] ?? '')),
      noticeLine(),
      el(
        'div',
        { class: 'service-actions' },
        ['inService', 'outOfService'].map((mode) =>
          serviceButton(
            mode === 'inService' ? t.setInService : t.setOutOfService,
            () =>
              run('mode', [mode], (result) => {
                state.notice = {
                  kind: 'ok',
                  code: result.afterServiceMode,
                  say: () => `${s().afterService}: ${s().modes[result.afterServiceMode]}`,
                };
              }),
            { kind: 'primary', testId: `service-mode-${mode}` },
          ),
        ),
      ),
      footer(),
    ];
  }

  async function loadJournal() {
    await run('summary', [], (result) => {
      state.data = { ...state.data, summary: result };
    });
    await run('last-payment', [], (result) => {
      state.data = { ...state.data, payment: result.payment };
    });
  }

  function buildJournal() {
    const t = s();
    const summary = state.data?.summary;
    const payment = state.data?.payment;
    const words = t.summary;
    return [
      header(t.summaryTitle),
      noticeLine(),
      summary
        ? el(
            'dl',
            { class: 'service-facts wide', 'data-testid': 'service-summary' },
            [
              'payments',
              'creditedNotes',
              'openTransactions',
              'pendingIntents',
              'outboxPending',
              'unpaidOrphans',
            ].map((key) => fact(words[key], String(summary.summary[key]), key)),
            fact(words.cashboxCount, String(summary.cashbox.totalCount), 'cashboxCount'),
            fact(words.cashboxValue, t.yuan(summary.cashbox.totalValue), 'cashboxValue'),
            fact(
              words.conservation,
              summary.conservationViolations.length === 0
                ? words.conservationOk
                : summary.conservationViolations.join('; '),
              'conservation',
            ),
          )
        : null,
      el('h2', {}, t.lastPayment),
      payment === undefined
        ? null
        : payment === null
          ? el('p', { class: 'service-hint' }, t.noPayment)
          : el(
              'dl',
              { class: 'service-facts wide', 'data-testid': 'service-last-payment' },
              fact(t.paymentId, payment.paymentId),
              fact(t.account, payment.account ?? '—'),
              fact(t.amount, t.yuan(payment.amount)),
              fact(t.at, payment.ts ?? ''),
            ),
      footer(serviceButton(t.refresh, () => show('journal'), { testId: 'service-refresh' })),
    ];
  }

  function buildReprint() {
    const t = s();
    const input = el('input', {
      id: 'service-payment-id',
      class: 'service-input',
      autocomplete: 'off',
      maxlength: '26',
      value: state.data?.paymentId ?? '',
    });
    input.addEventListener('input', () => {
      state.data = { ...state.data, paymentId: input.value.trim().toUpperCase() };
    });
    return [
      header(t.reprintTitle),
      el('p', { class: 'service-hint' }, t.reprintHint),
      noticeLine(),
      el(
        'div',
        { class: 'service-form' },
        el('label', { for: 'service-payment-id' }, t.paymentId),
        input,
        el('span', { class: 'service-label' }, t.receiptLanguage),
        el(
          'div',
          { class: 'service-actions' },
          ['zh-CN', 'en'].map((language) =>
            serviceButton(
              language === 'zh-CN' ? '中文' : 'English',
              () => {
                state.receiptLanguage = language;
                render();
              },
              { kind: state.receiptLanguage === language ? 'primary' : 'secondary' },
            ),
          ),
        ),
      ),
      footer(
        serviceButton(
          t.reprintButton,
          () => {
            const id = state.data?.paymentId ?? '';
            return run('reprint', [id, state.receiptLanguage], () => {
              state.notice = { kind: 'ok', code: 'printed', say: () => s().reprinted(id) };
            });
          },
          { kind: 'primary', testId: 'service-reprint' },
        ),
      ),
    ];
  }

  // --- cash collection -----------------------------------------------------------------------

  async function loadCollection() {
    await run('collection', [], (result) => {
      state.collection = result.open;
      state.counts = countsOf(result.open);
    });
  }

  function countsOf(record) {
    const counts = {};
    for (const d of record?.denominations ?? [])
      counts[d.denomination] = d.counted === null ? '' : String(d.counted);
    return counts;
  }

  function adoptCollection(record) {
    state.collection = record;
    state.counts = countsOf(record);
  }

  function enterCounts() {
    const record = state.collection;
    const pairs = [];
    for (const d of record.denominations) {
      const raw = (state.counts[d.denomination] ?? '').trim();
      const count = raw === '' ? 0 : Number(raw);
      if (!/^\d{0,6}$/.test(raw) || !Number.isInteger(count)) {
        state.notice = { kind: 'error', code: 'badCount', say: () => s().countInvalid };
        render();
        return;
      }
      pairs.push(`${d.denomination}=${count}`);
    }
    return run('collection-count', pairs, (result) => {
      adoptCollection(result);
      state.notice = {
        kind: result.discrepancy ? 'error' : 'ok',
        code: result.discrepancy ? 'discrepancy' : 'accurate',
        say: () => (result.discrepancy ? s().discrepancy : s().accurate),
      };
    });
  }

  function buildCollection() {
    const t = s();
    const record = state.collection;
    if (record === null || record === undefined) {
      return [
        header(t.collectionTitle),
        el('p', { class: 'service-hint' }, t.collectionHint),
        noticeLine(),
        state.data?.ended ? null : el('p', { class: 'service-hint' }, t.collectionNone),
        footer(
          serviceButton(
            t.collectionStart,
            () =>
              run('collection-start', [], (result) => {
                adoptCollection(result);
                state.notice = null;
              }),
            { kind: 'primary', testId: 'service-collection-start' },
          ),
        ),
      ];
    }
    const counted = record.state !== 'started';
    const rows = record.denominations.map((d) => {
      const input = el('input', {
        class: 'service-input count',
        inputmode: 'numeric',
        maxlength: '6',
        'data-denomination': d.denomination,
        'aria-label': `${t.counted} ${t.yuan(d.denomination)}`,
        value: state.counts[d.denomination] ?? '',
      });
      input.addEventListener('input', () => {
        state.counts[d.denomination] = input.value;
      });
      const difference = d.difference;
      return el(
        'tr',
        { class: counted && difference !== 0 ? 'differs' : '', 'data-denomination': d.denomination },
        el('th', {}, t.yuan(d.denomination)),
        el('td', {}, String(d.expected)),
        el('td', {}, input),
        el('td', { class: 'difference' }, difference === null ? '—' : signed(difference)),
      );
    });
    return [
      header(t.collectionTitle),
      el('p', { class: 'service-hint' }, `${t.collectionId} ${record.collectionId}`),
      noticeLine(),
      el(
        'table',
        { class: 'service-table', 'data-testid': 'service-collection-table' },
        el(
          'thead',
          {},
          el(
            'tr',
            {},
            el('th', {}, t.denomination),
            el('th', {}, t.expected),
            el('th', {}, t.counted),
            el('th', {}, t.difference),
          ),
        ),
        el('tbody', {}, rows),
      ),
      el(
        'dl',
        { class: 'service-facts wide' },
        fact(t.totalExpected, t.yuan(record.expectedValue), 'expectedValue'),
        counted ? fact(t.totalCounted, t.yuan(record.countedValue), 'countedValue') : null,
        counted ? fact(t.totalDifference, signedYuan(record.differenceValue), 'differenceValue') : null,
      ),
      footer(
        serviceButton(t.enterCounts, enterCounts, { kind: 'primary', testId: 'service-collection-count' }),
        serviceButton(
          t.printSlip,
          () =>
            run('collection-receipt', [], (result) => {
              state.notice = result.printed
                ? { kind: 'ok', code: 'printed', say: () => s().slipPrinted }
                : { kind: 'error', code: 'notPrinted', say: () => s().slipFailed(result.reason) };
            }),
          { disabled: !counted, testId: 'service-collection-receipt' },
        ),
        serviceButton(
          t.endCollection,
          () =>
            run('collection-end', [], (result) => {
              state.collection = null;
              state.data = { ended: result.collection };
              state.notice = {
                kind: 'ok',
                code: 'ended',
                say: () => s().ended(s().modes[result.mode] ?? result.mode),
              };
            }),
          { disabled: !counted, testId: 'service-collection-end' },
        ),
      ),
    ];
  }

  const signed = (n) => (n > 0 ? `+${n}` : String(n));
  const signedYuan = (fen) => (fen > 0 ? `+${s().yuan(fen)}` : fen < 0 ? `−${s().yuan(-fen)}` : s().yuan(0));

  // --- small builders ---------------------------------------------------------------------------

  function fact(term, value, testId) {
    return el('div', { class: 'service-fact', 'data-fact': testId }, el('dt', {}, term), el('dd', {}, value));
  }

  function describeStatus(status) {
    if (!status) return '';
    return [status.state, status.reason, status.action].filter(Boolean).join(' · ');
  }

  /** A device's identity or counters as "key value" pairs: their fields differ per device. */
  function flatten(value) {
    if (value === null || value === undefined) return '—';
    if (typeof value !== 'object') return String(value);
    return Object.entries(value)
      .map(([key, v]) => `${key} ${typeof v === 'object' && v !== null ? JSON.stringify(v) : v}`)
      .join(' · ');
  }

  function serviceButton(label, onclick, { kind = 'secondary', disabled = false, testId } = {}) {
    return el(
      'button',
      {
        type: 'button',
        class: `button ${kind}`,
        disabled: disabled || state.busy,
        onclick,
        'data-testid': testId,
      },
      label,
    );
  }

  render();
}
