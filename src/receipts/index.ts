export { localTimeText } from './local-time-text.js';
export { faceValueText, moneyText, YUAN_SIGN } from './money-text.js';
export {
  DEFAULT_RECEIPT_TIME_ZONE,
  fillQrUrlTemplate,
  PAYMENT_ID_PLACEHOLDER,
  type ReceiptsConfig,
  receiptsConfigSchema,
} from './receipt-config.js';
export {
  type CustomerReceiptInput,
  customerReceipt,
  type ReceiptPayment,
  receiptQrPayload,
} from './receipt-document.js';
export { customerMayReprint } from './reprint-window.js';
