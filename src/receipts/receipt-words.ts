import type { Language } from '../i18n/messages.js';
import type { PaymentKind } from '../journal/journal-types.js';

/** The fixed words of a customer receipt, by language. */
export interface ReceiptWords {
  kiosk: string;
  time: string;
  account: string;
  total: string;
  status: string;
  paymentId: string;
  kind: Record<PaymentKind, string>;
  footer: string;
}

/** Both languages on a reprint, so whoever reads it, in either language, sees it is not the original. */
export const REPRINT_MARK = '重印 REPRINT';

export const RECEIPT_WORDS: Readonly<Record<Language, ReceiptWords>> = {
  'zh-CN': {
    kiosk: '终端',
    time: '时间',
    account: '账号',
    total: '合计',
    status: '状态',
    paymentId: '交易号',
    kind: { complete: '充值成功', partial: '部分充值' },
    footer: '请妥善保管此凭条',
  },
  en: {
    kiosk: 'Kiosk',
    time: 'Time',
    account: 'Account',
    total: 'Total',
    status: 'Status',
    paymentId: 'Payment ID',
    kind: { complete: 'Top-up complete', partial: 'Partial top-up' },
    footer: 'Please keep this receipt',
  },
};
