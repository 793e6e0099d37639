import { el } from './dom.js';
import { KioskLink } from './kiosk-link.js';
import { installServicePage } from './service.js';
import { LANGUAGES, STRINGS } from './strings.js';

/**
 * The customer screen. What it shows follows the daemon's state (the snapshot on every connect,
 * then events); the screen keeps only what the customer is doing on it right now: the choice
 * made on the attract screen, the digits being typed, and which finished top-up or balance
 * query they have already left. So a reloaded page or a restarted daemon redraws the same
 * transaction. The technician's service page (service.js) lies over it, opened by a hidden
 * gesture; it follows this page's language toggle.
 */

const ACCOUNT_DIGITS = 11;
/** How long a finished top-up or query stays on screen before the attract screen returns. */
const RESULT_SHOWN_MS = 30_000;
const CANCELLED_SHOWN_MS = 8_000;
const TOAST_MS = 6_000;

const initialLanguage = new URLSearchParams(location.search).get('lang');
const model = {
  language: LANGUAGES.includes(initialLanguage) ? initialLanguage : 'zh-CN',
  connection: 'connecting',
  kiosk: null,
  topUp: null,
  balanceQuery: undefined, // undefined: the kiosk does not offer it
  /** 'idle' | 'topUp' | 'balance': what the customer chose on this screen. */
  choice: 'idle',
  digits: '',
  busy: false,
  leftTopUp: null,
  leftQuery: null,
  /** Events received so far: a request's answer is stale once one came after it was sent. */
  eventsSeen: 0,
  /** The top-up this page last saw under way. */
  seenActive: null,
  /** When the current screen's timer ends (ms since epoch), and what it says. */
  deadline: null,
};

const link = new KioskLink(model.language, {
  onConnection(state) {
    model.connection = state;
    renderConnection();
  },
  onEvent: applyEvent,
});

const t = () => STRINGS[model.language];
const app = document.getElementById('app');

function applyEvent(type, data) {
  model.eventsSeen += 1;
  switch (type) {
    case 'snapshot': {
      const serving = model.seenActive;
      model.kiosk = data.kiosk;
      model.topUp = data.topUp;
      model.balanceQuery = 'balanceQuery' in data ? data.balanceQuery : undefined;
      // A restarted daemon finishes the top-up it was serving (recovery: a partial payment) and
      // may start with no current top-up: the customer still sees theirs, from the journal.
      if (serving !== null && serving !== 'before-account' && data.topUp?.txId !== serving) {
        void recoverTopUp(serving);
      }
      break;
    }
    case 'kiosk.mode':
      if (model.kiosk) model.kiosk.mode = data.mode;
      break;
    case 'device.status':
      if (model.kiosk && data.device === 'cashAcceptor') model.kiosk.devices.cashAcceptor = data.status;
      break;
    case 'topup.state':
      model.topUp = data;
      break;
    case 'balanceQuery.state':
      model.balanceQuery = data;
      break;
    case 'topup.noteReturned':
    case 'topup.noteRejected':
      toast(data.message?.text);
      return render();
    case 'topup.error':
      toast(data.message);
      return render();
    default:
      return;
  }
  render();
}

const ACTIVE_TOP_UP = new Set([
  'enteringAccount',
  'checkingAccount',
  'insertingCash',
  'committing',
  'printing',
]);

/** Which screen the state calls for. */
function currentScreen() {
  if (model.kiosk === null) return 'connecting';
  const topUp = model.topUp;
  const query = model.balanceQuery;
  if (topUp && ACTIVE_TOP_UP.has(topUp.state)) {
    model.seenActive = resultKey(topUp);
    return `topUp.${topUp.state}`;
  }
  if (query && query.state !== 'ended') return `balance.${query.state}`;
  // A payment stays on screen (its id matters, also after a restart); a cancel only for the
  // customer who saw it happen, not for the next one who opens the page.
  const finished =
    topUp &&
    (topUp.state === 'done' || (topUp.state === 'cancelled' && model.seenActive === resultKey(topUp)));
  if (finished && model.leftTopUp !== resultKey(topUp)) {
    return `topUp.${topUp.state}`;
  }
  if (query && query.state === 'ended' && model.leftQuery !== query.queryId && model.choice === 'balance') {
    return 'balance.ended';
  }
  if (model.kiosk.mode !== 'inService') return `kiosk.${model.kiosk.mode}`;
  if (model.choice === 'balance') return 'balance.choose';
  return 'idle';
}

async function recoverTopUp(txId) {
  for (let attempt = 0; attempt < 10; attempt++) {
    const answer = await link.read(`/topups/${encodeURIComponent(txId)}`);
    const current = model.topUp;
    if (current && ACTIVE_TOP_UP.has(current.state)) return; // a new customer is being served
    if (answer.ok && answer.body && (answer.body.state === 'done' || answer.body.state === 'cancelled')) {
      model.topUp = answer.body;
      render();
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

function resultKey(topUp) {
  return topUp.txId ?? 'before-account';
}

let lastScreen = null;

function render() {
  const screen = currentScreen();
  if (screen !== lastScreen) {
    if (!screen.endsWith('enteringAccount') && screen !== 'balance.choose') model.digits = '';
    lastScreen = screen;
    model.deadline = deadlineFor(screen);
  } else if (screen === 'topUp.insertingCash' && model.deadline?.activity !== cashActivity()) {
    // A note taken or returned restarts the daemon's inactivity timer, and so the countdown. The
    // number entry's timer runs from the screen's start: taps on this page never reach the daemon.
    model.deadline = deadlineFor(screen);
  }
  document.documentElement.lang = model.language;
  document.body.dataset.screen = screen;
  document.getElementById('language').textContent = t().switchLanguage;
  app.replaceChildren(...build(screen));
  renderCountdown();
}

/** What restarts the daemon's timer while notes go in: a note credited or one under way. */
function cashActivity() {
  return `${model.topUp?.notes.length}:${model.topUp?.noteInProgress}`;
}

/**
 * The countdown the current screen shows: `words` names its text in STRINGS (looked up at each
 * tick, so it follows the language toggle); `onEnd` is what the page does at zero, null where the
 * daemon's own timer ends the screen (the page only shows it).
 */
function deadlineFor(screen) {
  const { accountEntryMs, idleCompleteMs } = link.timeouts;
  const now = Date.now();
  switch (screen) {
    case 'topUp.enteringAccount':
    case 'balance.enteringAccount':
      return { at: now + accountEntryMs, words: 'timeoutIn', onEnd: null };
    case 'balance.choose':
      return { at: now + accountEntryMs, words: 'timeoutIn', onEnd: cancelCurrent };
    case 'topUp.insertingCash':
      // With no note in, the daemon cancels after the number entry's time-out; after one, it tops up.
      return model.topUp.notes.length > 0
        ? { at: now + idleCompleteMs, words: 'completeIn', onEnd: null, activity: cashActivity() }
        : { at: now + accountEntryMs, words: 'timeoutIn', onEnd: null, activity: cashActivity() };
    case 'topUp.done':
      return { at: now + RESULT_SHOWN_MS, words: 'backIn', onEnd: leaveResult };
    case 'topUp.cancelled':
    case 'balance.ended':
      return { at: now + CANCELLED_SHOWN_MS, words: 'backIn', onEnd: leaveResult };
    default:
      return null;
  }
}

function renderCountdown() {
  const element = document.getElementById('countdown');
  if (!element) return;
  if (model.deadline === null) {
    element.hidden = true;
    return;
  }
  const seconds = Math.max(0, Math.ceil((model.deadline.at - Date.now()) / 1000));
  element.hidden = false;
  element.textContent = t()[model.deadline.words](seconds);
  if (seconds === 0 && model.deadline.onEnd) {
    const onEnd = model.deadline.onEnd;
    model.deadline.onEnd = null;
    onEnd();
  }
}
setInterval(renderCountdown, 250);

// --- building the screens -------------------------------------------------------------

function button(label, onclick, { kind = 'secondary', disabled = false, testId } = {}) {
  return el(
    'button',
    {
      type: 'button',
      class: `button ${kind}`,
      disabled: disabled || model.busy,
      onclick,
      'data-testid': testId,
    },
    label,
  );
}

const countdown = () => el('p', { id: 'countdown', class: 'countdown', hidden: true });
const heading = (text) => el('h1', {}, text);
const yuan = (fen) => t().yuan(fen);

function build(screen) {
  const s = t();
  switch (screen) {
    case 'connecting':
      return [el('section', { class: 'panel center' }, heading(s.connecting))];
    case 'idle':
      return buildIdle();
    case 'kiosk.outOfService':
      return buildClosed(s.outOfService, s.outOfServiceWhy);
    case 'kiosk.maintenance':
      return buildClosed(s.maintenance, s.maintenanceWhy);
    case 'kiosk.starting':
      return buildClosed(s.starting, s.startingWhy);
    case 'topUp.enteringAccount':
      return buildNumberEntry(s.enterNumber, submitTopUpAccount, model.topUp.message?.text);
    case 'balance.choose':
    case 'balance.enteringAccount':
      return buildNumberEntry(s.enterNumberBalance, submitBalanceAccount, model.balanceQuery?.message?.text);
    case 'topUp.checkingAccount':
      return [el('section', { class: 'panel center' }, heading(s.checking), el('div', { class: 'spinner' }))];
    case 'topUp.insertingCash':
      return buildInserting();
    case 'topUp.committing':
    case 'topUp.printing':
      return buildPrinting(screen === 'topUp.printing' ? s.printing : s.committing);
    case 'topUp.done':
      return buildDone();
    case 'topUp.cancelled':
      return [
        el(
          'section',
          { class: 'panel center' },
          heading(s.cancelled),
          el('p', { class: 'lead' }, model.topUp.message?.text ?? s.cancelledNothing),
          button(s.finish, leaveResult, { kind: 'primary', testId: 'finish' }),
          countdown(),
        ),
      ];
    case 'balance.enteringPin':
      return buildPin();
    case 'balance.querying':
      return [el('section', { class: 'panel center' }, heading(s.querying), el('div', { class: 'spinner' }))];
    case 'balance.showingBalance':
      return buildBalance();
    case 'balance.ended':
      return [
        el(
          'section',
          { class: 'panel center' },
          heading(s.balanceEnded),
          el('p', { class: 'lead', 'data-testid': 'outcome' }, model.balanceQuery.message?.text ?? ''),
          button(s.finish, leaveResult, { kind: 'primary', testId: 'finish' }),
          countdown(),
        ),
      ];
    default:
      return [el('section', { class: 'panel center' }, heading(s.connecting))];
  }
}

function buildIdle() {
  const s = t();
  const acceptor = model.kiosk.devices.cashAcceptor;
  const acceptorDown = acceptor && acceptor.state !== 'online';
  return [
    el(
      'section',
      { class: 'panel attract' },
      el('h1', { class: 'title' }, s.title),
      el('p', { class: 'lead' }, s.attract),
      el(
        'div',
        { class: 'choices' },
        el(
          'button',
          {
            type: 'button',
            class: 'choice',
            'data-testid': 'start-top-up',
            onclick: startTopUp,
            disabled: model.busy,
          },
          el('span', { class: 'choice-title' }, s.topUp),
          el('span', { class: 'choice-hint' }, acceptorDown ? s.acceptorUnavailable : s.topUpHint),
        ),
        model.balanceQuery === undefined
          ? null
          : el(
              'button',
              {
                type: 'button',
                class: 'choice',
                'data-testid': 'start-balance',
                onclick: startBalance,
                disabled: model.busy,
              },
              el('span', { class: 'choice-title' }, s.balance),
              el('span', { class: 'choice-hint' }, s.balanceHint),
            ),
      ),
    ),
  ];
}

/** Why the kiosk is closed, in the customer's words: what they cannot do, never which part failed. */
function buildClosed(title, why) {
  const acceptor = model.kiosk.devices.cashAcceptor;
  const noNotes = model.kiosk.mode === 'outOfService' && acceptor && acceptor.state !== 'online';
  return [
    el(
      'section',
      { class: 'panel center closed' },
      el('h1', { 'data-testid': 'closed-title' }, title),
      el('p', { class: 'lead', 'data-testid': 'closed-reason' }, noNotes ? t().outOfServiceNoNotes : why),
      model.kiosk.mode === 'starting' ? null : el('p', { class: 'advice' }, t().closedAdvice),
    ),
  ];
}

/** Why the digits typed so far cannot be a CN mobile number, or how many are still missing. */
function numberHint(digits) {
  const s = t();
  if (digits.length >= 1 && digits[0] !== '1') return { ok: false, text: s.numberHintStart };
  if (digits.length >= 2 && !/[3-9]/.test(digits[1])) return { ok: false, text: s.numberHintSecond };
  if (digits.length < ACCOUNT_DIGITS)
    return { ok: false, text: s.numberHintMore(ACCOUNT_DIGITS - digits.length) };
  return { ok: true, text: s.numberOk };
}

function formatNumber(digits) {
  return [digits.slice(0, 3), digits.slice(3, 7), digits.slice(7, 11)]
    .filter((part) => part !== '')
    .join(' ');
}

function buildNumberEntry(title, submit, message) {
  const s = t();
  const typedOnPad = model.balanceQuery?.state === 'enteringAccount' ? model.balanceQuery.accountTyped : '';
  const digits = model.digits !== '' ? model.digits : (typedOnPad ?? '');
  const hint = numberHint(digits);
  const invalid = digits.length > 0 && !hint.ok && !/more|还需/.test(hint.text);
  const press = (key) => () => {
    if (key === 'delete') model.digits = model.digits.slice(0, -1);
    else if (key === 'clear') model.digits = '';
    else if (model.digits.length < ACCOUNT_DIGITS) model.digits += key;
    render();
  };
  const keys = ['1', '2', '3', '4', '5', '6', '7', '8', '9', 'clear', '0', 'delete'];
  return [
    el(
      'section',
      { class: 'panel entry' },
      heading(title),
      el(
        'div',
        { class: 'entry-body' },
        el(
          'div',
          { class: 'entry-field' },
          el(
            'output',
            { class: `number${invalid ? ' invalid' : ''}`, 'data-testid': 'number' },
            formatNumber(digits) || '\u00a0',
          ),
          el('p', { class: `hint${invalid ? ' invalid' : ''}`, 'data-testid': 'number-hint' }, hint.text),
          message ? el('p', { class: 'message', 'data-testid': 'message' }, message) : null,
          lastScreen.startsWith('balance') ? el('p', { class: 'small' }, s.accountFromPad) : null,
        ),
        el(
          'div',
          { class: 'keypad' },
          keys.map((key) =>
            el(
              'button',
              {
                type: 'button',
                class: `key key-${key}`,
                'data-key': key,
                onclick: press(key),
                disabled: model.busy,
              },
              key === 'clear' ? s.clear : key === 'delete' ? '⌫' : key,
            ),
          ),
        ),
      ),
      el(
        'div',
        { class: 'actions' },
        button(s.cancel, cancelCurrent, { testId: 'cancel' }),
        button(s.next, () => submit(digits), { kind: 'primary', disabled: !hint.ok, testId: 'next' }),
      ),
      countdown(),
    ),
  ];
}

function buildInserting() {
  const s = t();
  const topUp = model.topUp;
  return [
    el(
      'section',
      { class: 'panel inserting' },
      heading(s.insertNotes),
      el('p', { class: 'account' }, `${s.account} ${topUp.account ?? ''}`),
      topUp.receiptAvailable === false
        ? el('p', { class: 'warning', 'data-testid': 'no-receipt-ahead' }, s.noReceiptAhead)
        : null,
      el(
        'div',
        { class: 'denominations', 'data-testid': 'denominations' },
        topUp.acceptedDenominations.length === 0
          ? el('p', { class: 'hint' }, s.acceptorWaiting)
          : [
              el('span', { class: 'label' }, s.accepted),
              topUp.acceptedDenominations.map((d) => el('span', { class: 'note-chip' }, yuan(d))),
            ],
      ),
      el(
        'div',
        { class: 'stack-area' },
        el(
          'ol',
          { class: 'note-stack', 'data-testid': 'note-stack' },
          topUp.notes.map((note, index) =>
            el(
              'li',
              { class: `stacked-note d${note.denomination}`, cssVars: { '--i': index } },
              yuan(note.denomination),
            ),
          ),
        ),
        el(
          'div',
          { class: 'totals' },
          el('span', { class: 'label' }, s.total),
          el('strong', { class: 'total', 'data-testid': 'total' }, yuan(topUp.total)),
          el(
            'p',
            { class: 'remaining', 'data-testid': 'remaining' },
            topUp.remaining > 0 ? s.remaining(yuan(topUp.remaining)) : s.remainingNone,
          ),
          topUp.noteInProgress ? el('p', { class: 'hint' }, s.noteInProgress) : null,
          topUp.message ? el('p', { class: 'message' }, topUp.message.text) : null,
        ),
      ),
      el(
        'div',
        { class: 'actions' },
        button(topUp.notes.length > 0 ? s.finishWithNotes : s.cancel, cancelCurrent, {
          testId: 'cancel',
          disabled: topUp.notes.length > 0 && topUp.noteInProgress,
        }),
        button(s.confirm, confirmTopUp, {
          kind: 'primary',
          disabled: topUp.notes.length === 0 || topUp.noteInProgress,
          testId: 'confirm',
        }),
      ),
      countdown(),
    ),
  ];
}

function buildPrinting(title) {
  const topUp = model.topUp;
  return [
    el(
      'section',
      { class: 'panel center' },
      heading(title),
      el('div', { class: 'spinner' }),
      el('p', { class: 'amount' }, yuan(topUp.total)),
      topUp.paymentId ? el('p', { class: 'payment-id' }, `${t().paymentId} ${topUp.paymentId}`) : null,
    ),
  ];
}

function buildDone() {
  const s = t();
  const topUp = model.topUp;
  const noReceipt = topUp.receipt === false;
  return [
    el(
      'section',
      { class: 'panel center done' },
      heading(topUp.kind === 'partial' ? s.partial : s.done),
      el('p', { class: 'account' }, `${s.account} ${topUp.account ?? ''}`),
      el(
        'p',
        {},
        el('span', { class: 'label' }, s.amount),
        ' ',
        el('strong', { class: 'amount', 'data-testid': 'amount' }, yuan(topUp.total)),
      ),
      el('p', { class: 'label' }, s.paymentId),
      el(
        'p',
        { class: `payment-id${noReceipt ? ' emphasis' : ''}`, 'data-testid': 'payment-id' },
        topUp.paymentId ?? '',
      ),
      el(
        'p',
        { class: noReceipt ? 'warning' : 'lead', 'data-testid': 'receipt-status' },
        noReceipt ? s.noReceipt : s.takeReceipt,
      ),
      noReceipt && topUp.receiptAvailable ? button(s.reprint, reprint, { testId: 'reprint' }) : null,
      button(s.finish, leaveResult, { kind: 'primary', testId: 'finish' }),
      countdown(),
    ),
  ];
}

function buildPin() {
  const s = t();
  const query = model.balanceQuery;
  const max = query.pinLength?.max ?? 6;
  const dots = [];
  for (let i = 0; i < max; i++)
    dots.push(
      el(
        'span',
        { class: i < query.digitsEntered ? 'dot filled' : 'dot' },
        i < query.digitsEntered ? '●' : '○',
      ),
    );
  return [
    el(
      'section',
      { class: 'panel center' },
      heading(s.enterPin),
      el('p', { class: 'account' }, `${s.account} ${query.account ?? ''}`),
      el(
        'div',
        { class: 'pin-dots', 'data-testid': 'pin-dots', 'aria-label': `${query.digitsEntered}/${max}` },
        dots,
      ),
      el('p', { class: 'small' }, s.pinHint),
      el('div', { class: 'actions' }, button(s.cancel, cancelCurrent, { testId: 'cancel' })),
    ),
  ];
}

function buildBalance() {
  const s = t();
  const query = model.balanceQuery;
  return [
    el(
      'section',
      { class: 'panel center' },
      heading(s.balanceIs),
      el('p', { class: 'account' }, `${s.account} ${query.account ?? ''}`),
      el('p', { class: 'amount big', 'data-testid': 'balance' }, yuan(query.balanceFen ?? 0)),
      el('div', { class: 'actions' }, button(s.finish, finishBalance, { kind: 'primary', testId: 'finish' })),
    ),
  ];
}

// --- what the customer's taps do -------------------------------------------------------

async function request(method, path, body = {}) {
  model.busy = true;
  render();
  const eventsBefore = model.eventsSeen;
  const answer = await link.send(method, path, body);
  model.busy = false;
  if (!answer.ok) toast(answer.body?.error?.message ?? t().requestFailed);
  answer.eventsBefore = eventsBefore;
  render();
  return answer;
}

/**
 * Takes a request's answer as the state only while the stream has said nothing since the request
 * went out: the stream reports every change, so an event that came meanwhile may be newer than
 * the answer (a note's, a device's), and the answer's own change comes as an event anyway.
 */
function adopt(answer, key) {
  if (!answer.ok || answer.body === null || typeof answer.body !== 'object') return;
  if (model.eventsSeen !== answer.eventsBefore) return;
  model[key] = answer.body;
}

async function startTopUp() {
  model.choice = 'topUp';
  model.digits = '';
  adopt(await request('POST', '/topups'), 'topUp');
  render();
}

async function startBalance() {
  model.choice = 'balance';
  model.digits = '';
  adopt(await request('POST', '/balance-queries'), 'balanceQuery');
  render();
}

async function submitTopUpAccount(digits) {
  model.digits = digits;
  adopt(await request('PUT', '/topups/current/account', { account: digits }), 'topUp');
  render();
}

async function submitBalanceAccount(digits) {
  model.digits = digits;
  adopt(await request('PUT', '/balance-queries/current/account', { account: digits }), 'balanceQuery');
  render();
}

async function confirmTopUp() {
  adopt(await request('POST', '/topups/current/confirm'), 'topUp');
  render();
}

async function reprint() {
  const txId = model.topUp?.txId;
  if (!txId) return;
  adopt(await request('POST', `/topups/${encodeURIComponent(txId)}/receipt`), 'topUp');
  render();
}

async function cancelCurrent() {
  const screen = currentScreen();
  if (screen.startsWith('topUp.')) {
    adopt(await request('POST', '/topups/current/cancel'), 'topUp');
  } else if (screen.startsWith('balance.') && model.balanceQuery && model.balanceQuery.state !== 'ended') {
    adopt(await request('POST', '/balance-queries/current/cancel'), 'balanceQuery');
  } else {
    model.choice = 'idle';
  }
  render();
}

/**
 * Done on the balance: the customer asked to end it, so the attract screen comes back at once. The
 * query's end is left behind before it is asked for: a "query ended" screen with a second Done
 * would only say what the customer just did (it stays for an end the customer did not ask for,
 * a time-out or the PIN pad's cancel, where its words matter).
 */
async function finishBalance() {
  const query = model.balanceQuery;
  if (query) model.leftQuery = query.queryId;
  model.choice = 'idle';
  if (query && query.state !== 'ended') {
    adopt(await request('POST', '/balance-queries/current/cancel'), 'balanceQuery');
  }
  render();
}

function leaveResult() {
  if (model.topUp) model.leftTopUp = resultKey(model.topUp);
  if (model.balanceQuery) model.leftQuery = model.balanceQuery.queryId;
  model.choice = 'idle';
  render();
}

let toastTimer = null;
function toast(text) {
  if (!text) return;
  const element = document.getElementById('toast');
  element.textContent = text;
  element.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    element.hidden = true;
  }, TOAST_MS);
}

function renderConnection() {
  const element = document.getElementById('connection');
  element.hidden = model.connection === 'open';
  element.textContent = model.connection === 'lost' ? t().reconnecting : t().connecting;
  document.body.dataset.connection = model.connection;
}

document.getElementById('language').addEventListener('click', () => {
  model.language = model.language === 'zh-CN' ? 'en' : 'zh-CN';
  const url = new URL(location.href);
  url.searchParams.set('lang', model.language);
  history.replaceState(null, '', url);
  link.setLanguage(model.language);
  render();
});

// No context menu, no pinch, no text selection drag: the kiosk browser's flags do the rest.
document.addEventListener('contextmenu', (event) => event.preventDefault());
document.addEventListener('gesturestart', (event) => event.preventDefault());

render();
renderConnection();
link.connect();
installServicePage(link);
