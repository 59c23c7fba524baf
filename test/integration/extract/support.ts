/**
 * Test scaffolding for the extract: the harness's local AWS (fauxqs S3, dynalite) through the real
 * SDK, a small hand-written totesys fixture, and readers for what a run wrote.
 */

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { type DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type DatabasePool, sql } from 'slonik';
import { LOCAL_CREDENTIALS, startLocalAws } from '../../../services/tools/local-runtime/aws/index.ts';
import { dynamoDbDocumentClient } from '../../../shared/aws/clients.ts';
import type { IngestionManifest, IngestionTableObject, SourceValue } from '../../../shared/lake/index.ts';
import { SOURCE_TABLES, type SourceTableName, sourceDdlStatements } from '../../../shared/schema/totesys.ts';

export interface LocalAws {
  readonly s3: S3Client;
  readonly dynamo: DynamoDBDocumentClient;
  readonly bucket: string;
  readonly stateTable: string;
  stop(): Promise<void>;
}

/** The harness's local stack (in memory), with SDK clients for the extract's bucket and table. */
export async function startAws(): Promise<LocalAws> {
  const local = await startLocalAws({ testEvents: false });
  const credentials = LOCAL_CREDENTIALS;
  const s3 = new S3Client({
    region: local.region,
    credentials,
    endpoint: local.endpoints.s3,
    forcePathStyle: true,
  });
  const raw = new DynamoDBClient({ region: local.region, credentials, endpoint: local.endpoints.dynamodb });
  return {
    s3,
    dynamo: dynamoDbDocumentClient(raw),
    bucket: local.resources.buckets.ingestion,
    stateTable: local.resources.tables.state.name,
    stop: async () => {
      s3.destroy();
      raw.destroy();
      await local.stop();
    },
  };
}

export async function createSource(pool: DatabasePool): Promise<void> {
  for (const statement of sourceDdlStatements()) await pool.query(statement);
  // The real database also has Prisma's table: the extract must ignore it.
  await pool.query(sql.unsafe`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    id varchar PRIMARY KEY, checksum varchar NOT NULL, last_updated timestamp(3) NOT NULL DEFAULT now())`);
  await pool.query(sql.unsafe`INSERT INTO "_prisma_migrations" (id, checksum) VALUES ('m1', 'abc')`);
}

const T0 = '2022-11-03 14:20:49.962';

/**
 * A small, hand-written totesys in one committed transaction: every table, names with apostrophes
 * and commas, nulls, leading-zero postal codes, and a sale whose order, transaction and payment
 * share one millisecond.
 */
export async function seedFixture(pool: DatabasePool): Promise<void> {
  await pool.transaction(async (tx) => {
    const q = (s: ReturnType<typeof sql.unsafe>) => tx.query(s);
    await q(sql.unsafe`INSERT INTO address (address_line_1, address_line_2, district, city, postal_code, country, phone, created_at, last_updated) VALUES
      ('6826 Herzog Via', NULL, 'Avon', 'New Patienceburgh', '28441', 'Turkey', '1803 637401', ${T0}, ${T0}),
      ('179 Alexie Cliffs', 'Flat 2', NULL, 'Aliso Viejo', '09123-7380', 'San Marino', '9621 880720', ${T0}, ${T0}),
      ('148 Sincere Fort', NULL, NULL, 'Lake Charles', '89360', 'Samoa', '0730 783349', ${T0}, ${T0}),
      ('0 Unused Lane', NULL, NULL, 'Nowhere', '00001', 'UK', '0000 000000', ${T0}, ${T0})`);
    await q(sql.unsafe`INSERT INTO counterparty (counterparty_legal_name, legal_address_id, commercial_contact, delivery_contact, created_at, last_updated) VALUES
      ('Fahey and Sons', 1, 'Micheal Toy', 'Mrs. Lucy Runolfsdottir', ${T0}, ${T0}),
      ('Leannon, Predovic and Morar', 2, NULL, 'Myra Kovacek', ${T0}, ${T0}),
      ('Grant - Lakin', 1, 'Emily Orn', NULL, ${T0}, ${T0})`);
    await q(sql.unsafe`INSERT INTO currency (currency_code, created_at, last_updated) VALUES
      ('GBP', ${T0}, ${T0}), ('USD', ${T0}, ${T0}), ('EUR', ${T0}, ${T0})`);
    await q(sql.unsafe`INSERT INTO department (department_name, location, manager, created_at, last_updated) VALUES
      ('Sales', 'Manchester', 'Richard Roma', ${T0}, ${T0}),
      ('Dispatch', 'Leds', 'Mark Hanna', ${T0}, ${T0})`);
    await q(sql.unsafe`INSERT INTO staff (first_name, last_name, department_id, email_address, created_at, last_updated) VALUES
      ('Jeremie', 'O''Keefe', 1, 'jeremie.o''keefe@terrifictotes.com', ${T0}, ${T0}),
      ('Deron', 'Beier', 2, 'deron.beier@terrifictotes.com', ${T0}, ${T0}),
      ('Jeanette', 'Erdman', 2, 'jeanette.erdman@terrifictotes.com', ${T0}, ${T0})`);
    await q(sql.unsafe`INSERT INTO design (created_at, last_updated, design_name, file_location, file_name) VALUES
      (${T0}, ${T0}, 'Wooden', '/usr', 'wooden-20220717-npgz.json'),
      (${T0}, ${T0}, 'Steel', '/private', 'steel-20221103-abcd.json')`);
    await q(sql.unsafe`INSERT INTO payment_type (payment_type_name, created_at, last_updated) VALUES
      ('SALES_RECEIPT', ${T0}, ${T0}), ('SALES_REFUND', ${T0}, ${T0}),
      ('PURCHASE_PAYMENT', ${T0}, ${T0}), ('PURCHASE_REFUND', ${T0}, ${T0})`);
    await q(sql.unsafe`INSERT INTO sales_order (created_at, last_updated, design_id, staff_id, counterparty_id, units_sold, unit_price, currency_id, agreed_delivery_date, agreed_payment_date, agreed_delivery_location_id) VALUES
      (${T0}, ${T0}, 2, 1, 1, 84754, 2.43, 1, '2022-11-10', '2022-11-03', 3),
      ('2022-11-03 14:20:52.186', '2022-11-03 14:20:52.186', 1, 2, 2, 42972, 3.94, 2, '2022-11-07', '2022-11-08', 2)`);
    await q(sql.unsafe`INSERT INTO purchase_order (created_at, last_updated, staff_id, counterparty_id, item_code, item_quantity, item_unit_price, currency_id, agreed_delivery_date, agreed_payment_date, agreed_delivery_location_id) VALUES
      (${T0}, ${T0}, 3, 3, 'ZDOI5EA', 371, 361.39, 3, '2022-11-09', '2022-11-07', 1)`);
    await q(sql.unsafe`INSERT INTO "transaction" (transaction_type, sales_order_id, purchase_order_id, created_at, last_updated) VALUES
      ('SALE', 1, NULL, ${T0}, ${T0}), ('PURCHASE', NULL, 1, ${T0}, ${T0}),
      ('SALE', 2, NULL, '2022-11-03 14:20:52.186', '2022-11-03 14:20:52.186')`);
    await q(sql.unsafe`INSERT INTO payment (created_at, last_updated, transaction_id, counterparty_id, payment_amount, currency_id, payment_type_id, paid, payment_date, company_ac_number, counterparty_ac_number) VALUES
      (${T0}, ${T0}, 1, 1, 205952.22, 1, 1, false, '2022-11-03', 67305075, 31622269),
      (${T0}, ${T0}, 2, 3, 134075.69, 3, 3, true, '2022-11-07', 81718079, 47839086),
      ('2022-11-03 14:20:52.186', '2022-11-03 14:20:52.186', 3, 2, 169309.68, 2, 1, false, '2022-11-08', 66213052, 91659548)`);
  });
}

export async function sourceCounts(pool: DatabasePool): Promise<Record<SourceTableName, number>> {
  const result = {} as Record<SourceTableName, number>;
  for (const table of Object.keys(SOURCE_TABLES) as SourceTableName[]) {
    result[table] = Number(await pool.oneFirst(sql.unsafe`SELECT count(*) FROM ${sql.identifier([table])}`));
  }
  return result;
}

export async function listKeys(aws: LocalAws): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await aws.s3.send(
      new ListObjectsV2Command({ Bucket: aws.bucket, Prefix: 'units/', ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
    token = page.NextContinuationToken;
  } while (token);
  return keys.sort();
}

export async function getJson<T>(
  aws: LocalAws,
  key: string,
): Promise<{ body: T; metadata: Record<string, string> }> {
  const object = await aws.s3.send(new GetObjectCommand({ Bucket: aws.bucket, Key: key }));
  return {
    body: JSON.parse(await object.Body!.transformToString()) as T,
    metadata: object.Metadata ?? {},
  };
}

export type Row = Record<string, SourceValue>;

export interface ReadUnit {
  readonly manifest: IngestionManifest;
  readonly tables: Map<SourceTableName, Row[]>;
  readonly objects: IngestionTableObject[];
  readonly metadata: Record<string, string>[];
}

/** Reads a unit through its manifest, rows as objects keyed by column name. */
export async function readUnit(aws: LocalAws, manifestKey: string): Promise<ReadUnit> {
  const { body: manifest } = await getJson<IngestionManifest>(aws, manifestKey);
  const tables = new Map<SourceTableName, Row[]>();
  const objects: IngestionTableObject[] = [];
  const metadata: Record<string, string>[] = [];
  for (const entry of manifest.objects) {
    const { body, metadata: meta } = await getJson<IngestionTableObject>(aws, entry.key);
    objects.push(body);
    metadata.push(meta);
    const rows = tables.get(body.table) ?? [];
    for (const values of body.rows) {
      rows.push(Object.fromEntries(body.columns.map((c, i) => [c.name, values[i] ?? null])));
    }
    tables.set(body.table, rows);
  }
  return { manifest, tables, objects, metadata };
}

export function ids(unit: ReadUnit, table: SourceTableName): number[] {
  const pk = SOURCE_TABLES[table].primaryKey;
  return (unit.tables.get(table) ?? []).map((r) => r[pk] as number).sort((a, b) => a - b);
}

export async function stateItem(
  aws: LocalAws,
  pk: string,
  sk: string,
): Promise<Record<string, unknown> | undefined> {
  const out = await aws.dynamo.send(
    new GetCommand({ TableName: aws.stateTable, Key: { pk, sk }, ConsistentRead: true }),
  );
  return out.Item;
}

export async function stateItems(aws: LocalAws, pk: string): Promise<Record<string, unknown>[]> {
  const out = await aws.dynamo.send(
    new QueryCommand({
      TableName: aws.stateTable,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': pk },
      ConsistentRead: true,
    }),
  );
  return out.Items ?? [];
}
