import { describe, expect, it } from 'vitest';
import { TOP_UP_STATES } from '../../fsm/top-up/top-up-machine.js';
import { chooseLanguage, LANGUAGES, MESSAGE_CODES, message } from '../../src/i18n/messages.js';
import { rejectMessage, returnMessage } from '../../src/topup/reject-message.js';
import { screenState } from '../../src/topup/top-up-messages.js';

describe('customer messages', () => {
  it('has every code in every language, and the receipt notice in the words the kiosk uses', () => {
    for (const code of MESSAGE_CODES) {
      for (const language of LANGUAGES)
        expect(message(code, language).length, `${code} ${language}`).toBeGreaterThan(0);
    }
    expect(message('receiptUnavailable', 'zh-CN')).toBe('收据打印机暂不可用，请记下您的交易编号');
  });

  it('picks the language from ?lang=, then Accept-Language by weight, then zh-CN', () => {
    expect(chooseLanguage('en', 'zh-CN')).toBe('en');
    expect(chooseLanguage(null, undefined)).toBe('zh-CN');
    expect(chooseLanguage(null, 'fr-FR, en;q=0.5, zh;q=0.8')).toBe('zh-CN');
    expect(chooseLanguage(null, 'zh;q=0.1, en-US')).toBe('en');
    expect(chooseLanguage(null, 'de, fr;q=0.9')).toBe('zh-CN');
    expect(chooseLanguage(null, 'en;q=0')).toBe('zh-CN');
  });

  it('words a refused note by what the customer can do about it', () => {
    expect(rejectMessage('counterfeit')).toBe('noteRejected.counterfeit');
    expect(rejectMessage('length')).toBe('noteRejected.insertion');
    expect(rejectMessage('inhibited')).toBe('noteRejected.notAccepted');
    expect(rejectMessage('photoPattern')).toBe('noteRejected.unrecognised');
    expect(returnMessage('overLimit')).toBe('overLimit');
    expect(returnMessage('tooManyNotes')).toBe('tooManyNotes');
    expect(returnMessage(undefined)).toBe('noteReturned');
  });

  it('maps every machine state onto a state of the API contract', () => {
    const contract = [
      'enteringAccount',
      'checkingAccount',
      'insertingCash',
      'committing',
      'printing',
      'done',
      'cancelled',
    ];
    for (const state of TOP_UP_STATES) expect(contract).toContain(screenState(state));
  });
});
