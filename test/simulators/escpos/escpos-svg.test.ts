import { describe, expect, it } from 'vitest';
import { PrinterRig, SAMPLE_RECEIPT } from './printer-rig.js';

function svgOf(rig: PrinterRig, last?: number): string {
  return (rig.control({ action: 'paper.svg', ...(last === undefined ? {} : { last }) }) as { svg: string })
    .svg;
}

describe('escpos simulator: paper.svg', () => {
  it('draws the receipt: text with its styling, the QR as a labelled box, the cut', () => {
    const rig = new PrinterRig();
    rig.print(SAMPLE_RECEIPT);
    rig.settle();
    const svg = svgOf(rig);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toMatch(/<text [^>]*font-size="40" font-weight="bold"[^>]*>中国移动 充值凭证<\/text>/);
    expect(svg).toContain('>Mobile top-up receipt</text>');
    expect(svg).toMatch(/<g class="qr">.*PAY-2026-000123/);
    expect(svg).toContain('data-end="cut"');
    // 48 columns of 12 dots plus margins.
    expect(svg).toMatch(/^<svg[^>]* width="608"/);
  });

  it('escapes what it prints, so a receipt cannot inject markup', () => {
    const rig = new PrinterRig();
    rig.send(new TextEncoder().encode('<script>&"x"\n'));
    rig.settle();
    const svg = svgOf(rig);
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&#60;script&#62;&#38;&#34;x&#34;');
  });

  it('draws only the last N receipts', () => {
    const rig = new PrinterRig();
    for (const text of ['one', 'two', 'three'])
      rig.print({ blocks: [{ kind: 'text', text }, { kind: 'cut' }] });
    rig.settle();
    const svg = svgOf(rig, 2);
    expect(svg).not.toContain('>one<');
    expect(svg).toContain('>two<');
    expect(svg).toContain('>three<');
    expect(svg.match(/class="receipt"/g)).toHaveLength(2);
  });
});
