import { barChart, niceMax, seriesChart } from '../../../services/tools/console/svg-charts.ts';

const marks = (svg: string) =>
  [...svg.matchAll(/class="series-\d mark"[^>]*data-label="([^"]*)" data-value="([^"]*)"/g)].map((m) => [
    m[1],
    m[2],
  ]);

describe('SVG charts', () => {
  it('a nice axis maximum covers the data', () => {
    expect(niceMax(0)).toBe(1);
    expect(niceMax(7)).toBe(10);
    expect(niceMax(1544)).toBe(2000);
    expect(niceMax(2400)).toBe(2500);
    expect(niceMax(1_749_618.23)).toBe(2_000_000);
  });

  it('bars carry the exact values and escaped labels; the chart has an accessible title', () => {
    const svg = barChart({
      id: 'top',
      title: 'Top <designs>',
      labels: ['Steel', '<b>"Wood"</b>'],
      values: ['300', '12.50'],
    }).text;
    expect(svg).toContain(
      'role="img" aria-labelledby="top-title"><title id="top-title">Top &lt;designs&gt;</title>',
    );
    expect(marks(svg)).toEqual([
      ['Steel', '300'],
      ['&lt;b&gt;&quot;Wood&quot;&lt;/b&gt;', '12.50'],
    ]);
    expect(svg).not.toContain('<b>');
  });

  it('series charts draw one mark per value present, per series, and skip gaps', () => {
    const svg = seriesChart({
      id: 'rev',
      title: 'Revenue',
      categories: ['2024-01', '2024-02', '2024-03'],
      series: [
        { name: 'GBP', values: ['10.00', null, '30.00'] },
        { name: 'EUR', values: ['1.00', '2.00', '3.00'] },
      ],
      kind: 'lines',
    }).text;
    expect(marks(svg)).toEqual([
      ['2024-01', '10.00'],
      ['2024-03', '30.00'],
      ['2024-01', '1.00'],
      ['2024-02', '2.00'],
      ['2024-03', '3.00'],
    ]);
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(svg).toContain('>GBP</text>');
  });
});
