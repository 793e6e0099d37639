import type { PaperColumns, PrinterBlock, PrinterDocument } from '../../devices/printer/printer-document.js';
import type { Language } from '../i18n/messages.js';
import type { CollectionRecord } from '../journal/collection-types.js';
import { localTimeText } from '../receipts/local-time-text.js';
import { faceValueText, type MoneyUnits, moneyText } from '../receipts/money-text.js';
import type { ReceiptsConfig } from '../receipts/receipt-config.js';
import { heading, labelled, lines } from '../receipts/receipt-layout.js';

/** The fixed words of a collection receipt. The brief's language is zh-CN; en is for a foreign technician. */
export const COLLECTION_RECEIPT_WORDS: Readonly<Record<Language, Record<string, string>>> = {
  'zh-CN': {
    title: '现金清机凭条',
    kiosk: '终端',
    device: '钱箱',
    collectionId: '清机编号',
    technician: '清点人',
    startedAt: '开始时间',
    endedAt: '结束时间',
    printedAt: '打印时间',
    notEnded: '未结束',
    columns: '面额  应有/实点/差异',
    expected: '应有金额',
    counted: '实点金额',
    difference: '差额',
    match: '账实相符',
    mismatch: '账实不符',
    unknownDenomination: '未识别面额',
    footer: '请将凭条与钱箱一同交回',
  },
  en: {
    title: 'Cash collection',
    kiosk: 'Kiosk',
    device: 'Cashbox',
    collectionId: 'Collection',
    technician: 'Counted by',
    startedAt: 'Started',
    endedAt: 'Ended',
    printedAt: 'Printed',
    notEnded: 'not ended',
    columns: 'Note  expected/counted/diff',
    expected: 'Expected',
    counted: 'Counted',
    difference: 'Difference',
    match: 'Counts match',
    mismatch: 'DISCREPANCY',
    unknownDenomination: 'unknown note',
    footer: 'Return this slip with the cashbox',
  },
};

export interface CollectionReceiptInput {
  collection: CollectionRecord;
  kioskId: string;
  config: Pick<ReceiptsConfig, 'operatorName' | 'hallName' | 'timeZone'>;
  columns: PaperColumns;
  minorUnitsPerMajor: number;
  /** When the slip is printed (ISO 8601): a slip printed before the end says so. */
  printedAt: string;
  language: Language;
}

function signed(n: number): string {
  return n > 0 ? `+${n}` : String(n);
}

/**
 * The slip a technician hands in with the cashbox: per denomination expected, counted and the
 * difference in notes, then the totals in money, who counted, the local times and the
 * collection id. Pure; the caller has checked the collection has counts.
 */
export function collectionReceipt(input: CollectionReceiptInput): PrinterDocument {
  const { collection: c, columns, config, language } = input;
  const words = COLLECTION_RECEIPT_WORDS[language];
  const units: MoneyUnits = { currency: c.currency, minorUnitsPerMajor: input.minorUnitsPerMajor };
  const time = (instant: string, what: string) => localTimeText(instant, config.timeZone, what);
  const rule: PrinterBlock = { kind: 'rule' };
  const difference = c.differenceValue ?? 0;
  const blocks: PrinterBlock[] = [
    ...heading(config.operatorName[language], columns),
    ...lines(config.hallName[language], columns, { align: 'center' }),
    ...lines(words.title!, columns, { align: 'center', bold: true }),
    rule,
    ...labelled(words.kiosk!, input.kioskId, columns),
    ...labelled(words.device!, c.device, columns),
    ...labelled(words.technician!, c.countedBy ?? c.startedBy, columns),
    ...labelled(words.startedAt!, time(c.startedAt, 'startedAt'), columns),
    ...labelled(words.endedAt!, c.endedAt === null ? words.notEnded! : time(c.endedAt, 'endedAt'), columns),
    ...labelled(words.printedAt!, time(input.printedAt, 'printedAt'), columns),
    rule,
    ...lines(words.columns!, columns),
    ...[...c.denominations]
      .sort((a, b) => a.denomination - b.denomination)
      .flatMap((d) =>
        labelled(
          d.denomination === 0 ? words.unknownDenomination! : faceValueText(d.denomination, units),
          `${d.expected}/${d.counted ?? 0}/${signed(d.difference ?? 0)}`,
          columns,
          { bold: d.difference !== 0 },
        ),
      ),
    rule,
    ...labelled(words.expected!, moneyText(c.expectedValue, units), columns),
    ...labelled(words.counted!, moneyText(c.countedValue ?? 0, units), columns),
    ...labelled(
      words.difference!,
      `${difference > 0 ? '+' : difference < 0 ? '-' : ''}${moneyText(Math.abs(difference), units)}`,
      columns,
      { bold: true },
    ),
    ...lines(c.discrepancy ? words.mismatch! : words.match!, columns, { align: 'center', bold: true }),
    ...labelled(words.collectionId!, c.collectionId, columns),
    ...lines(words.footer!, columns, { align: 'center' }),
    { kind: 'feed', lines: 2 },
    { kind: 'cut' },
  ];
  return { blocks };
}
