import type { Rng } from './prng.ts';

/**
 * The static tables of totesys (spec §1.1): 30 addresses, 20 counterparties, 3 currencies,
 * 8 departments, 20 staff and 4 payment types, all created once on 2022-11-03. The exact values
 * the spec fixes (currencies, payment types, departments and their locations, including the
 * 'Leds' typo) are constants; names, addresses and phones are drawn from word lists with the
 * seeded generator, with the awkward cases the pipeline must survive forced in: an O'Keefe on the
 * staff, counterparty names with commas, hyphens and apostrophes, counterparties sharing a legal
 * address, null address_line_2 in 2 of 3 rows, null district in half, postal codes with leading
 * zeros.
 */

export interface AddressRow {
  address_id: number;
  address_line_1: string;
  address_line_2: string | null;
  district: string | null;
  city: string;
  postal_code: string;
  country: string;
  phone: string;
  created_at: string;
  last_updated: string;
}

export interface CounterpartyRow {
  counterparty_id: number;
  counterparty_legal_name: string;
  legal_address_id: number;
  commercial_contact: string | null;
  delivery_contact: string | null;
  created_at: string;
  last_updated: string;
}

export interface CurrencyRow {
  currency_id: number;
  currency_code: string;
  created_at: string;
  last_updated: string;
}

export interface DepartmentRow {
  department_id: number;
  department_name: string;
  location: string | null;
  manager: string | null;
  created_at: string;
  last_updated: string;
}

export interface StaffRow {
  staff_id: number;
  first_name: string;
  last_name: string;
  department_id: number;
  email_address: string;
  created_at: string;
  last_updated: string;
}

export interface PaymentTypeRow {
  payment_type_id: number;
  payment_type_name: string;
  created_at: string;
  last_updated: string;
}

export interface ReferenceData {
  address: AddressRow[];
  counterparty: CounterpartyRow[];
  currency: CurrencyRow[];
  department: DepartmentRow[];
  staff: StaffRow[];
  payment_type: PaymentTypeRow[];
}

export const STATIC_VOLUMES = {
  address: 30,
  counterparty: 20,
  currency: 3,
  department: 8,
  staff: 20,
  payment_type: 4,
} as const;

export const CURRENCY_CODES = ['GBP', 'USD', 'EUR'] as const;

export const PAYMENT_TYPE_NAMES = [
  'SALES_RECEIPT',
  'SALES_REFUND',
  'PURCHASE_PAYMENT',
  'PURCHASE_REFUND',
] as const;

/** Payment type of a sale's payment and of a purchase's payment. */
export const SALES_PAYMENT_TYPE_ID = 1;
export const PURCHASE_PAYMENT_TYPE_ID = 3;

/** department_id = index + 1. 'Leds' is the real data's typo, kept on purpose. */
export const DEPARTMENTS: readonly { readonly name: string; readonly location: string }[] = [
  { name: 'Sales', location: 'Manchester' },
  { name: 'Purchasing', location: 'Manchester' },
  { name: 'Production', location: 'Leeds' },
  { name: 'Dispatch', location: 'Leds' },
  { name: 'Finance', location: 'Manchester' },
  { name: 'Facilities', location: 'Manchester' },
  { name: 'Communications', location: 'Leeds' },
  { name: 'HR', location: 'Leeds' },
];

export const FIRST_NAMES = [
  'Jeremie',
  'Deron',
  'Jeanette',
  'Ana',
  'Magdalena',
  'Korey',
  'Raphael',
  'Oswaldo',
  'Brody',
  'Jazmyn',
  'Meda',
  'Imani',
  'Stan',
  'Rigoberto',
  'Tom',
  'Pierre',
  'Flavio',
  'Irving',
  'Mark',
  'Jett',
  'Shaniya',
  'Cecilia',
  'Lamont',
  'Mabel',
  'Nettie',
  'Ezekiel',
  'Hortense',
  'Lilla',
  'Clemens',
  'Yolanda',
  'Camille',
  'Rhys',
  'Eliza',
  'Marlene',
  'Owen',
  'Priscilla',
  'Julius',
  'Lucie',
  'Gideon',
  'Rosalind',
] as const;

export const LAST_NAMES = [
  'Franey',
  'Beier',
  'Erdman',
  'Glover',
  'Zieme',
  'Kreiger',
  'Rippin',
  'Bergnaum',
  'Ratke',
  'Kuhlman',
  'Cremin',
  'Hilll',
  'Herzog',
  'Hahn',
  'Sauer',
  'Mraz',
  'Fahey',
  'Leannon',
  'Predovic',
  'Morar',
  'Grant',
  'Lakin',
  'Armstrong',
  'Kohler',
  'Frami',
  'Yundt',
  'Macejkovic',
  'Padberg',
  'Lueilwitz',
  'Johnson',
  'Kub',
  'Bosco',
  'Wiza',
  'Schuster',
  'Runte',
  'Gleichner',
  'Hagenes',
  'Stiedemann',
  'Waelchi',
  'Koepp',
] as const;

/** Surnames with apostrophes: every step must carry them untouched. */
export const APOSTROPHE_LAST_NAMES = ["O'Keefe", "O'Hara", "O'Conner", "D'Amore", "O'Reilly"] as const;

const STREET_SUFFIXES = [
  'Via',
  'Cliffs',
  'Street',
  'Lane',
  'Avenue',
  'Road',
  'Ports',
  'Ville',
  'Springs',
  'Crossing',
  'Trail',
  'Plains',
  'Mews',
  'Court',
  'Parkway',
  'Haven',
  'Ridge',
  'Grove',
] as const;

const DISTRICTS = [
  'Avon',
  'Bedfordshire',
  'Buckinghamshire',
  'Cambridgeshire',
  'Cheshire',
  'Cornwall',
  'Cumbria',
  'Derbyshire',
  'Devon',
  'Dorset',
  'Essex',
  'Kent',
  'Lancashire',
  'Surrey',
  'Somerset',
  'Northumberland',
] as const;

const CITIES = [
  'New Patienceburgh',
  'Aliso Viejo',
  'Lake Charles',
  'Fort Shadburgh',
  'Olsonside',
  'Sayreville',
  'Kendraburgh',
  'Suffolk',
  'East Bobbie',
  'Pricetown',
  'Hackensack',
  'Port Alfonzo',
  'Utica',
  'Shanahanview',
  'Rancho Cucamonga',
  "Coeur d'Alene",
  'North Deshaunport',
  'Lake Arne',
  'Montebello',
  'Oakland',
  'Lake Jolie',
  'South Gavin',
  'Bristol',
  'Lake Myrlfurt',
] as const;

const COUNTRIES = [
  'Turkey',
  'San Marino',
  'Republic of Korea',
  'Samoa',
  'Democratic Republic of the Congo',
  'Antigua and Barbuda',
  'Germany',
  "Cote d'Ivoire",
  'Austria',
  'Iceland',
  'Cayman Islands',
  'Australia',
  'Guernsey',
  'Greece',
  'United Kingdom',
  'Bermuda',
  'Saint Helena',
  'Portugal',
  'Lithuania',
  'Chile',
  'Ghana',
  'Moldova',
] as const;

const COMPANY_SUFFIXES = ['Inc', 'LLC', 'Group', 'and Sons', 'Ltd'] as const;

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = '0123456789';

export function personName(rng: Rng): { first: string; last: string } {
  return { first: rng.pick(FIRST_NAMES), last: rng.pick(LAST_NAMES) };
}

export function fullName(rng: Rng): string {
  const { first, last } = personName(rng);
  return `${first} ${last}`;
}

/** '1803 637401' */
export function phoneNumber(rng: Rng): string {
  return `${rng.chars(DIGITS, 4)} ${rng.chars(DIGITS, 6)}`;
}

/** '6826 Herzog Via' */
export function streetLine(rng: Rng): string {
  return `${rng.int(1, 9999)} ${rng.pick(LAST_NAMES)} ${rng.pick(STREET_SUFFIXES)}`;
}

export function districtName(rng: Rng): string {
  return rng.pick(DISTRICTS);
}

/** '28441' or '99305-7380'; leading zeros are kept (postal codes are strings). */
export function postalCode(rng: Rng, leadingZero = false): string {
  const first = leadingZero ? `0${rng.chars(DIGITS, 4)}` : rng.chars(DIGITS, 5);
  return rng.chance(0.4) ? `${first}-${rng.chars(DIGITS, 4)}` : first;
}

/** Indices 0..n-1, `count` of them chosen at random (a fixed count, so the rate is exact). */
function chooseIndices(rng: Rng, n: number, count: number): Set<number> {
  return new Set(rng.shuffle(Array.from({ length: n }, (_, i) => i)).slice(0, count));
}

export function buildReferenceData(rng: Rng, createdAt: string): ReferenceData {
  const stamp = { created_at: createdAt, last_updated: createdAt };

  const nAddress = STATIC_VOLUMES.address;
  const line2Null = chooseIndices(rng, nAddress, Math.round((nAddress * 2) / 3));
  const districtNull = chooseIndices(rng, nAddress, Math.round(nAddress / 2));
  const leadingZero = chooseIndices(rng, nAddress, 3);
  const address: AddressRow[] = [];
  for (let i = 0; i < nAddress; i++) {
    address.push({
      address_id: i + 1,
      address_line_1: streetLine(rng),
      address_line_2: line2Null.has(i) ? null : `${rng.pick(LAST_NAMES)} ${rng.pick(STREET_SUFFIXES)}`,
      district: districtNull.has(i) ? null : districtName(rng),
      city: rng.pick(CITIES),
      postal_code: postalCode(rng, leadingZero.has(i)),
      country: rng.pick(COUNTRIES),
      phone: phoneNumber(rng),
      ...stamp,
    });
  }

  // Counterparties: legal names in the real shapes, forced to include commas, hyphens and
  // apostrophes; 16 distinct legal addresses for 20 counterparties, so several share one.
  const nCounterparty = STATIC_VOLUMES.counterparty;
  const legalAddresses = rng.shuffle(Array.from({ length: nAddress }, (_, i) => i + 1)).slice(0, 16);
  const usedNames = new Set<string>();
  const counterparty: CounterpartyRow[] = [];
  for (let i = 0; i < nCounterparty; i++) {
    let name = '';
    do {
      const surname = () =>
        i === 3 || rng.chance(0.08) ? rng.pick(APOSTROPHE_LAST_NAMES) : rng.pick(LAST_NAMES);
      const shape = i < 3 ? i : rng.int(0, 2);
      if (shape === 0) name = `${surname()}, ${rng.pick(LAST_NAMES)} and ${rng.pick(LAST_NAMES)}`;
      else if (shape === 1) name = `${surname()} - ${rng.pick(LAST_NAMES)}`;
      else name = `${surname()} ${rng.pick(COMPANY_SUFFIXES)}`;
    } while (usedNames.has(name));
    usedNames.add(name);
    counterparty.push({
      counterparty_id: i + 1,
      counterparty_legal_name: name,
      legal_address_id: i < legalAddresses.length ? (legalAddresses[i] as number) : rng.pick(legalAddresses),
      commercial_contact: fullName(rng),
      delivery_contact: fullName(rng),
      ...stamp,
    });
  }

  const currency: CurrencyRow[] = CURRENCY_CODES.map((code, i) => ({
    currency_id: i + 1,
    currency_code: code,
    ...stamp,
  }));

  const department: DepartmentRow[] = DEPARTMENTS.map((d, i) => ({
    department_id: i + 1,
    department_name: d.name,
    location: d.location,
    manager: fullName(rng),
    ...stamp,
  }));

  // Staff: unique names, one O'Keefe, every department staffed.
  const nStaff = STATIC_VOLUMES.staff;
  const okeefe = rng.int(0, nStaff - 1);
  const departmentsFirst = rng.shuffle(department.map((d) => d.department_id));
  const usedPeople = new Set<string>();
  const staff: StaffRow[] = [];
  for (let i = 0; i < nStaff; i++) {
    let person: { first: string; last: string };
    do {
      person = personName(rng);
      if (i === okeefe) person = { first: person.first, last: "O'Keefe" };
    } while (usedPeople.has(`${person.first} ${person.last}`));
    usedPeople.add(`${person.first} ${person.last}`);
    staff.push({
      staff_id: i + 1,
      first_name: person.first,
      last_name: person.last,
      department_id: departmentsFirst[i] ?? rng.int(1, department.length),
      email_address: `${person.first}.${person.last}@terrifictotes.com`.toLowerCase(),
      ...stamp,
    });
  }

  const payment_type: PaymentTypeRow[] = PAYMENT_TYPE_NAMES.map((name, i) => ({
    payment_type_id: i + 1,
    payment_type_name: name,
    ...stamp,
  }));

  return { address, counterparty, currency, department, staff, payment_type };
}

export { DIGITS, UPPER };
