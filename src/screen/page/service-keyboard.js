import { el } from './dom.js';

/**
 * The service page's on-screen keyboard. A touch-only kiosk has no keyboard, and Chromium in kiosk
 * mode shows no OS one, so without this a technician could not log in from the screen. It opens
 * under the service page whenever one of its fields has the focus and types into that field: the
 * letters, digits and - . _ of technician ids and passwords (with a caps key), or, for a field
 * with inputmode="numeric" (the collection's counts), a keypad of digits only. Its keys never
 * take the focus (pointerdown and mousedown are cancelled), so the field keeps its caret and a
 * USB keyboard typing at the same time goes on working.
 *
 * In a password field a tap never shows its character: the pressed key is not highlighted (its
 * place on the keyboard would say which it was), the whole keyboard flashes instead, and the
 * preview line shows ●.
 */

const DIGIT_ROW = '1234567890';
const LETTER_ROWS = ['qwertyuiop', 'asdfghjkl-', 'zxcvbnm._'];
const KEYPAD_ROWS = ['123', '456', '789'];
const SECRET_PREVIEW = '●';

/**
 * `scope` is the service page's root: only its `.service-input` fields get the keyboard.
 * `words()` gives the labels of the keys that are not characters, in the page's language.
 * Returns `refresh()`, for the page to call after it redraws: a field it rebuilt is gone.
 */
export function installServiceKeyboard(scope, words) {
  const board = document.createElement('div');
  board.id = 'service-keyboard';
  board.hidden = true;
  board.setAttribute('data-testid', 'service-keyboard');
  document.body.insertBefore(board, scope.nextSibling);

  let field = null;
  let caps = false;
  let layout = null;
  let preview = null;

  const isServiceField = (element) =>
    element instanceof HTMLInputElement &&
    element.classList.contains('service-input') &&
    scope.contains(element);

  // The field keeps the focus (and so its caret and the physical keyboard): a key never takes it.
  for (const type of ['pointerdown', 'mousedown']) {
    board.addEventListener(type, (event) => event.preventDefault());
  }
  board.addEventListener('pointerdown', (event) => {
    const key = event.target instanceof Element ? event.target.closest('.osk-key') : null;
    if (key === null) return;
    if (board.classList.contains('secret')) {
      board.animate([{ borderColor: 'var(--accent)' }, { borderColor: 'var(--paper)' }], { duration: 250 });
    }
  });
  board.addEventListener('click', (event) => {
    const key = event.target instanceof Element ? event.target.closest('.osk-key') : null;
    if (key !== null) press(key.dataset.key);
  });

  document.addEventListener('focusin', (event) => {
    if (isServiceField(event.target)) show(event.target);
  });
  // It does not close when the field loses the focus: a tap on one of the page's buttons would
  // move the panel under the finger between the press and the click. It closes when its field is
  // redrawn away (`refresh`), with "done", or moves to the next field that takes the focus.

  function show(next) {
    field = next;
    const wanted = next.inputMode === 'numeric' ? 'keypad' : 'letters';
    const secret = next.type === 'password';
    if (wanted !== layout || secret !== board.classList.contains('secret') || board.hidden) {
      layout = wanted;
      board.classList.toggle('secret', secret);
      draw();
    }
    board.hidden = false;
    document.body.dataset.keyboard = layout;
    // The keyboard takes the bottom of the screen: the field must stay in sight above it.
    requestAnimationFrame(() => field?.scrollIntoView({ block: 'nearest' }));
  }

  function hide() {
    field = null;
    caps = false;
    board.hidden = true;
    board.replaceChildren();
    layout = null;
    delete document.body.dataset.keyboard;
  }

  function refresh() {
    if (field !== null && !field.isConnected) hide();
  }

  function draw() {
    const w = words();
    preview = el('p', { class: 'osk-preview', 'data-testid': 'keyboard-preview', 'aria-hidden': 'true' });
    const row = (...keys) => el('div', { class: 'osk-row' }, keys);
    const chars = (text) => [...text].map((c) => key(c, caps ? c.toUpperCase() : c));
    const backspace = key('backspace', w.backspace, 'osk-wide', w.backspaceName);
    const next = key('next', w.next, 'osk-wide');
    const done = key('done', w.done, 'osk-wide primary');
    const rows =
      layout === 'keypad'
        ? [...KEYPAD_ROWS.map((r) => row(chars(r))), row(backspace, key('0', '0'), next), row(done)]
        : [
            row(chars(DIGIT_ROW)),
            row(chars(LETTER_ROWS[0])),
            row(chars(LETTER_ROWS[1])),
            row(chars(LETTER_ROWS[2]), backspace),
            row(key('shift', w.shift, `osk-wide${caps ? ' on' : ''}`), next, done),
          ];
    board.className = `${board.classList.contains('secret') ? 'secret ' : ''}${layout}`;
    board.replaceChildren(preview, ...rows);
  }

  function key(name, label, extra = '', ariaLabel = label) {
    return el(
      'button',
      {
        type: 'button',
        tabindex: '-1',
        class: `osk-key ${extra}`.trim(),
        'data-key': name,
        'aria-label': ariaLabel,
      },
      label,
    );
  }

  function press(name) {
    if (field === null || !field.isConnected) {
      hide();
      return;
    }
    // A tap beside the field took its focus away: the keys still type into it, and so may a USB keyboard.
    if (document.activeElement !== field) field.focus();
    if (name === 'shift') {
      caps = !caps;
      draw();
    } else if (name === 'backspace') {
      erase(field);
    } else if (name === 'next') {
      moveOn(field);
    } else if (name === 'done') {
      finish(field);
    } else if (layout !== 'keypad' || /^[0-9]$/.test(name)) {
      const typed = caps ? name.toUpperCase() : name;
      if (insert(field, typed)) {
        preview.textContent = field.type === 'password' ? SECRET_PREVIEW : typed;
      }
    }
  }

  function insert(target, text) {
    const start = target.selectionStart ?? target.value.length;
    const end = target.selectionEnd ?? start;
    const limit = target.maxLength > 0 ? target.maxLength : Number.POSITIVE_INFINITY;
    if (target.value.length - (end - start) + text.length > limit) return false;
    target.setRangeText(text, start, end, 'end');
    target.dispatchEvent(new Event('input', { bubbles: true }));
    return true;
  }

  function erase(target) {
    const start = target.selectionStart ?? target.value.length;
    const end = target.selectionEnd ?? start;
    if (start === end && start === 0) return;
    target.setRangeText('', start === end ? start - 1 : start, end, 'end');
    target.dispatchEvent(new Event('input', { bubbles: true }));
    preview.textContent = '';
  }

  /** The next field of the page; after the last one "next" is "done". */
  function moveOn(target) {
    const fields = [...scope.querySelectorAll('input.service-input')];
    const following = fields[fields.indexOf(target) + 1];
    if (following === undefined) finish(target);
    else following.focus();
  }

  /** In a form (the login), done sends it as Enter would; elsewhere it closes the keyboard. */
  function finish(target) {
    if (target.form !== null) {
      target.form.requestSubmit();
    } else {
      target.blur();
      hide();
    }
  }

  return { refresh };
}
