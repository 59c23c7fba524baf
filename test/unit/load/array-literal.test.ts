import { createRequire } from 'node:module';
import { arrayLiteral } from '../../../services/lambdas/load/array-literal.ts';

/** node-postgres's own text for a JavaScript array parameter: what the staging sent before. */
const { prepareValue } = createRequire(import.meta.url)('pg/lib/utils.js') as {
  prepareValue(value: unknown): string;
};
const pgText = (values: readonly unknown[]) => prepareValue(values);
const column = (values: readonly unknown[]) => values.map((v) => [0, v]);

describe('arrayLiteral', () => {
  it('writes the text node-postgres writes for the same values', () => {
    const cases: unknown[][] = [
      [1, 2, -3, 2147483647],
      ['12.30', '-0.05', '1000000.00'],
      ['2024-02-29', '12:30:45.123', '2024-02-29 10:00:00.123'],
      [true, false, null],
      [null, null],
      ["O'Keefe", 'Leannon, Predovic and Morar', 'a "quoted" word', 'back\\slash', '\\"both\\"'],
      ['', ' ', ' padded ', 'NULL', 'null', '{braces}', 'tab\tand\nnewline', 'Zürich – 東京 🚀'],
      [],
    ];
    for (const values of cases) expect(arrayLiteral(column(values), 1)).toBe(pgText(values));
  });

  it('reads the given column of each row', () => {
    expect(
      arrayLiteral(
        [
          [1, 'a', null],
          [2, 'b"c', true],
        ],
        1,
      ),
    ).toBe('{"a","b\\"c"}');
  });
});
