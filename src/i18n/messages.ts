/**
 * Words the customer reads on the kiosk screen, keyed by stable codes. The screen and the API
 * branch on the code; the text may be reworded at any time. Developers' reasons (English, exact)
 * travel beside these in API errors and never replace them.
 */

export const LANGUAGES = ['zh-CN', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];
export const DEFAULT_LANGUAGE: Language = 'zh-CN';

const catalogue = {
  invalidAccount: {
    'zh-CN': '请输入正确的11位手机号码',
    en: 'Please enter a valid 11-digit mobile number',
  },
  accountRefused: {
    'zh-CN': '该号码暂不能充值，请核对后重试',
    en: 'This number cannot be topped up. Please check it and try again',
  },
  accountCheckUnavailable: {
    'zh-CN': '暂时无法核验号码，请稍后再试',
    en: 'We cannot check the number right now. Please try again later',
  },
  accountEntryTimeout: {
    'zh-CN': '操作超时，本次充值已取消',
    en: 'The time ran out, so this top-up was cancelled',
  },
  overLimit: {
    'zh-CN': '此面额超出本次可充值金额，纸币已退回',
    en: 'That note is more than you can still top up; it was given back',
  },
  limitReached: {
    'zh-CN': '已达本次充值上限，请确认充值',
    en: 'You have reached the most this top-up can take. Please confirm',
  },
  dailyLimitReached: {
    'zh-CN': '该号码今日充值已达上限',
    en: 'This number has reached today’s top-up limit',
  },
  tooManyNotes: {
    'zh-CN': '本次投入纸币张数已达上限，请确认充值',
    en: 'You have inserted the most notes allowed. Please confirm the top-up',
  },
  notAccepted: {
    'zh-CN': '不接受此面额的纸币，纸币已退回',
    en: 'That note value is not accepted; it was given back',
  },
  noteReturned: {
    'zh-CN': '纸币已退回，请取回',
    en: 'Your note was given back. Please take it',
  },
  'noteRejected.counterfeit': {
    'zh-CN': '无法识别此纸币，已退回',
    en: 'This note could not be verified and was given back',
  },
  'noteRejected.insertion': {
    'zh-CN': '请将纸币展平后重新投入',
    en: 'Please flatten the note and insert it again',
  },
  'noteRejected.notAccepted': {
    'zh-CN': '当前不接受此纸币，已退回',
    en: 'This note cannot be accepted right now and was given back',
  },
  'noteRejected.unrecognised': {
    'zh-CN': '无法识别此纸币，请换一张重试',
    en: 'This note was not recognised. Please try another one',
  },
  noteInProgress: {
    'zh-CN': '正在处理纸币，请稍候',
    en: 'Your note is being processed. Please wait',
  },
  noNotes: {
    'zh-CN': '请先投入纸币',
    en: 'Please insert a note first',
  },
  acceptorOffline: {
    'zh-CN': '收钞机暂时无法使用，请稍后再试',
    en: 'The note acceptor is not available right now. Please try again later',
  },
  kioskOutOfService: {
    'zh-CN': '本机暂停服务',
    en: 'This kiosk is out of service',
  },
  kioskStarting: {
    'zh-CN': '设备正在启动，请稍候',
    en: 'The kiosk is starting. Please wait',
  },
  kioskMaintenance: {
    'zh-CN': '设备维护中，暂停服务',
    en: 'This kiosk is under maintenance',
  },
  topUpActive: {
    'zh-CN': '当前有充值正在进行',
    en: 'A top-up is already in progress',
  },
  noTopUp: {
    'zh-CN': '当前没有进行中的充值',
    en: 'There is no top-up in progress',
  },
  topUpNotFound: {
    'zh-CN': '未找到该笔充值记录',
    en: 'That top-up was not found',
  },
  wrongStep: {
    'zh-CN': '当前步骤不能进行此操作',
    en: 'That cannot be done at this step',
  },
  receiptUnavailable: {
    'zh-CN': '收据打印机暂不可用，请记下您的交易编号',
    en: 'The receipt printer is not available. Please note your transaction number',
  },
  reprintWindowClosed: {
    'zh-CN': '已超过补打凭条的时间，请联系营业厅工作人员',
    en: 'It is too late to print this receipt again. Please ask the hall staff',
  },
  reprintLimit: {
    'zh-CN': '该凭条已补打过，不能再次打印',
    en: 'This receipt has already been printed again and cannot be printed once more',
  },
  topUpDone: {
    'zh-CN': '充值成功',
    en: 'Top-up successful',
  },
  topUpPartial: {
    'zh-CN': '已按投入金额完成充值',
    en: 'Your top-up was completed with the money inserted',
  },
  topUpCancelled: {
    'zh-CN': '充值已取消',
    en: 'The top-up was cancelled',
  },
  commitDelayed: {
    'zh-CN': '正在确认您的充值，请稍候，款项不会丢失',
    en: 'We are confirming your top-up. Please wait; your money is safe',
  },
  balanceQueryActive: {
    'zh-CN': '当前有余额查询正在进行，请稍候',
    en: 'A balance query is in progress. Please wait',
  },
  noBalanceQuery: {
    'zh-CN': '当前没有进行中的余额查询',
    en: 'There is no balance query in progress',
  },
  balanceQueryUnavailable: {
    'zh-CN': '本机暂不提供余额查询',
    en: 'Balance queries are not available at this kiosk',
  },
  pinPadUnavailable: {
    'zh-CN': '密码键盘暂时无法使用，请稍后再试',
    en: 'The PIN pad is not available right now. Please try again later',
  },
  enterAccountForQuery: {
    'zh-CN': '请输入要查询的11位手机号码',
    en: 'Please enter the 11-digit mobile number to look up',
  },
  enterServicePassword: {
    'zh-CN': '请在密码键盘上输入6位服务密码，按确认键结束',
    en: 'Please type your 6-digit service password on the PIN pad and press Enter',
  },
  queryingBalance: {
    'zh-CN': '正在查询，请稍候',
    en: 'Looking up your balance. Please wait',
  },
  balanceShown: {
    'zh-CN': '您的账户余额',
    en: 'Your account balance',
  },
  wrongServicePassword: {
    'zh-CN': '服务密码错误，请重新查询',
    en: 'The service password is wrong. Please start the query again',
  },
  accountLocked: {
    'zh-CN': '服务密码错误次数过多，查询已暂时锁定，请稍后再试',
    en: 'Too many wrong service passwords: queries are locked for a while. Please try again later',
  },
  accountNotFound: {
    'zh-CN': '未找到该号码的账户，请核对后重试',
    en: 'No account was found for this number. Please check it and try again',
  },
  accountServiceUnavailable: {
    'zh-CN': '暂时无法查询余额，请稍后再试',
    en: 'We cannot look up the balance right now. Please try again later',
  },
  balanceQueryTimeout: {
    'zh-CN': '查询超时，请稍后再试',
    en: 'The balance query took too long. Please try again later',
  },
  pinPadFault: {
    'zh-CN': '密码键盘故障，本次查询已结束',
    en: 'The PIN pad failed, so this query has ended',
  },
  balanceQueryCancelled: {
    'zh-CN': '余额查询已取消',
    en: 'The balance query was cancelled',
  },
  balanceQueryEntryTimeout: {
    'zh-CN': '操作超时，本次查询已取消',
    en: 'The time ran out, so this query was cancelled',
  },
  balanceQueryDone: {
    'zh-CN': '查询结束，感谢使用',
    en: 'The query has ended. Thank you',
  },
  badRequest: {
    'zh-CN': '请求无效，请重试',
    en: 'Something went wrong with that request. Please try again',
  },
  notFound: {
    'zh-CN': '页面不存在',
    en: 'Not found',
  },
  internalError: {
    'zh-CN': '系统繁忙，请稍后再试',
    en: 'The system is busy. Please try again later',
  },
} as const satisfies Record<string, Record<Language, string>>;

export type MessageCode = keyof typeof catalogue;

export const MESSAGE_CODES = Object.keys(catalogue) as MessageCode[];

export function isMessageCode(value: string): value is MessageCode {
  return Object.hasOwn(catalogue, value);
}

export function message(code: MessageCode, language: Language): string {
  return catalogue[code][language];
}

export function isLanguage(value: string): value is Language {
  return (LANGUAGES as readonly string[]).includes(value);
}

/**
 * The language to answer in: an explicit `?lang=` wins, then the first Accept-Language range
 * we speak (by q, `zh`/`zh-*` meaning Chinese, `en`/`en-*` English), then zh-CN.
 */
export function chooseLanguage(
  explicit: string | null | undefined,
  acceptLanguage: string | undefined,
): Language {
  if (explicit) {
    const exact = LANGUAGES.find((l) => l.toLowerCase() === explicit.toLowerCase());
    if (exact) return exact;
  }
  if (!acceptLanguage) return DEFAULT_LANGUAGE;
  const ranges = acceptLanguage
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      const weight = q === undefined ? 1 : Number(q.slice(2));
      return { tag: tag.trim().toLowerCase(), weight: Number.isFinite(weight) ? weight : 0, index };
    })
    .filter((r) => r.tag !== '' && r.weight > 0)
    .sort((a, b) => b.weight - a.weight || a.index - b.index);
  for (const { tag } of ranges) {
    if (tag === 'zh' || tag.startsWith('zh-')) return 'zh-CN';
    if (tag === 'en' || tag.startsWith('en-')) return 'en';
  }
  return DEFAULT_LANGUAGE;
}
