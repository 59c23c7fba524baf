import { type QuerySqlToken, sql } from 'slonik';

/**
 * A tiny totesys source and the warehouse the spec says it must become, both written by hand
 * (not by the transform): O'Keefe, null address_line_2 / district, leading-zero postcodes, a
 * shared legal address, a sales order with two versions, money with and without trailing zeros.
 */

export const SOURCE_ROWS: readonly QuerySqlToken[] = [
  sql.unsafe`INSERT INTO "address" VALUES
    (1, '6826 Herzog Via', NULL, 'Avon', 'New Patienceburgh', '28441', 'Turkey', '1803 637401', '2022-11-03 14:20:49.962', '2022-11-03 14:20:49.962'),
    (2, '179 Alexie Cliffs', NULL, NULL, 'Aliso Viejo', '99305-7380', 'San Marino', '9621 880720', '2022-11-03 14:20:49.962', '2022-11-03 14:20:49.962'),
    (3, '148 Sincere Fort', 'Flat 2', NULL, 'Lake Charles', '01234', 'Samoa', '0730 783349', '2022-11-03 14:20:49.962', '2023-01-05 09:00:00')`,
  sql.unsafe`INSERT INTO "counterparty" VALUES
    (1, 'Fahey and Sons', 1, 'Micheal Toy', 'Mrs. Lucy Runolfsdottir', '2022-11-03 14:20:51.563', '2022-11-03 14:20:51.563'),
    (2, 'Leannon, Predovic and Morar', 2, NULL, NULL, '2022-11-03 14:20:51.563', '2022-11-03 14:20:51.563'),
    (3, 'Grant - Lakin', 2, 'Emily O''Reilly', NULL, '2022-11-03 14:20:51.563', '2022-11-03 14:20:51.563')`,
  sql.unsafe`INSERT INTO "currency" VALUES
    (1, 'GBP', '2022-11-03 14:20:49.962', '2022-11-03 14:20:49.962'),
    (2, 'USD', '2022-11-03 14:20:49.962', '2022-11-03 14:20:49.962'),
    (3, 'EUR', '2022-11-03 14:20:49.962', '2022-11-03 14:20:49.962')`,
  sql.unsafe`INSERT INTO "department" VALUES
    (1, 'Sales', 'Manchester', 'Richard Roma', '2022-11-03 14:20:49.962', '2022-11-03 14:20:49.962'),
    (2, 'Dispatch', 'Leds', 'Mark Hanna', '2022-11-03 14:20:49.962', '2022-11-03 14:20:49.962')`,
  sql.unsafe`INSERT INTO "staff" VALUES
    (1, 'Jeremie', 'O''Keefe', 1, 'jeremie.o''keefe@terrifictotes.com', '2022-11-03 14:20:51.563', '2022-11-03 14:20:51.563'),
    (2, 'Deron', 'Beier', 2, 'deron.beier@terrifictotes.com', '2022-11-03 14:20:51.563', '2022-11-03 14:20:51.563')`,
  sql.unsafe`INSERT INTO "design" VALUES
    (1, '2022-11-03 14:20:49.962', '2022-11-03 14:20:49.962', 'Wooden', '/usr', 'wooden-20220717-npgz.json'),
    (2, '2023-01-12 18:50:09.935', '2023-01-12 18:50:09.935', 'Granite', '/private/var', 'granite-20220205-3vfw.json')`,
  sql.unsafe`INSERT INTO "payment_type" VALUES
    (1, 'SALES_RECEIPT', '2022-11-03 14:20:49.962', '2022-11-03 14:20:49.962'),
    (2, 'SALES_REFUND', '2022-11-03 14:20:49.962', '2022-11-03 14:20:49.962'),
    (3, 'PURCHASE_PAYMENT', '2022-11-03 14:20:49.962', '2022-11-03 14:20:49.962'),
    (4, 'PURCHASE_REFUND', '2022-11-03 14:20:49.962', '2022-11-03 14:20:49.962')`,
  // Order 1 was created on 2024-02-29 and updated on 2024-03-01 (units and price changed).
  sql.unsafe`INSERT INTO "sales_order" VALUES
    (1, '2024-02-29 10:00:00.123', '2024-03-01 09:30:00.5', 1, 1, 1, 2000, 3, 1, '2024-03-04', '2024-03-03', 3),
    (2, '2024-02-29 23:59:59.999', '2024-02-29 23:59:59.999', 2, 2, 2, 1000, 2.58, 2, '2024-12-31', '2024-03-01', 1)`,
  sql.unsafe`INSERT INTO "purchase_order" VALUES
    (1, '2024-03-01 00:00:00', '2024-03-01 00:00:00', 2, 1, 'ZDOI5EA', 371, 361.39, 3, '2024-03-04', '2024-03-03', 2)`,
  sql.unsafe`INSERT INTO "transaction" VALUES
    (1, 'SALE', 1, NULL, '2024-02-29 10:00:00.123', '2024-02-29 10:00:00.123'),
    (2, 'SALE', 2, NULL, '2024-02-29 23:59:59.999', '2024-02-29 23:59:59.999'),
    (3, 'PURCHASE', NULL, 1, '2024-03-01 00:00:00', '2024-03-01 00:00:00')`,
  sql.unsafe`INSERT INTO "payment" VALUES
    (1, '2024-02-29 10:00:00.123', '2024-03-01 09:30:00.5', 1, 1, 6000.00, 1, 1, false, '2024-03-03', 15398791, 23741981),
    (2, '2024-02-29 23:59:59.999', '2024-02-29 23:59:59.999', 2, 2, 2580, 2, 1, true, '2024-03-01', 10000000, 99999999),
    (3, '2024-03-01 00:00:00', '2024-03-01 00:00:00', 3, 1, 134075.69, 3, 3, false, '2024-03-03', 12345678, 87654321)`,
];

export const WAREHOUSE_ROWS: readonly QuerySqlToken[] = [
  sql.unsafe`INSERT INTO "dim_date" VALUES
    ('2024-02-29', 2024, 2, 29, 4, 'Thursday', 'February', 1),
    ('2024-03-01', 2024, 3, 1, 5, 'Friday', 'March', 1),
    ('2024-03-03', 2024, 3, 3, 7, 'Sunday', 'March', 1),
    ('2024-03-04', 2024, 3, 4, 1, 'Monday', 'March', 1),
    ('2024-12-31', 2024, 12, 31, 2, 'Tuesday', 'December', 4),
    ('2024-03-05', 2024, 3, 5, 2, 'Tuesday', 'March', 1)`,
  sql.unsafe`INSERT INTO "dim_location" VALUES
    (1, '6826 Herzog Via', NULL, 'Avon', 'New Patienceburgh', '28441', 'Turkey', '1803 637401'),
    (2, '179 Alexie Cliffs', NULL, NULL, 'Aliso Viejo', '99305-7380', 'San Marino', '9621 880720'),
    (3, '148 Sincere Fort', 'Flat 2', NULL, 'Lake Charles', '01234', 'Samoa', '0730 783349')`,
  sql.unsafe`INSERT INTO "dim_counterparty" VALUES
    (1, 'Fahey and Sons', '6826 Herzog Via', NULL, 'Avon', 'New Patienceburgh', '28441', 'Turkey', '1803 637401'),
    (2, 'Leannon, Predovic and Morar', '179 Alexie Cliffs', NULL, NULL, 'Aliso Viejo', '99305-7380', 'San Marino', '9621 880720'),
    (3, 'Grant - Lakin', '179 Alexie Cliffs', NULL, NULL, 'Aliso Viejo', '99305-7380', 'San Marino', '9621 880720')`,
  sql.unsafe`INSERT INTO "dim_currency" VALUES (1, 'GBP', 'British Pound'), (2, 'USD', 'US Dollar'), (3, 'EUR', 'Euro')`,
  sql.unsafe`INSERT INTO "dim_staff" VALUES
    (1, 'Jeremie', 'O''Keefe', 'Sales', 'Manchester', 'jeremie.o''keefe@terrifictotes.com'),
    (2, 'Deron', 'Beier', 'Dispatch', 'Leds', 'deron.beier@terrifictotes.com')`,
  sql.unsafe`INSERT INTO "dim_design" VALUES
    (1, 'Wooden', '/usr', 'wooden-20220717-npgz.json'),
    (2, 'Granite', '/private/var', 'granite-20220205-3vfw.json')`,
  sql.unsafe`INSERT INTO "dim_payment_type" VALUES
    (1, 'SALES_RECEIPT'), (2, 'SALES_REFUND'), (3, 'PURCHASE_PAYMENT'), (4, 'PURCHASE_REFUND')`,
  sql.unsafe`INSERT INTO "dim_transaction" VALUES (1, 'SALE', 1, NULL), (2, 'SALE', 2, NULL), (3, 'PURCHASE', NULL, 1)`,
  // Two versions of order 1: as created (1000 at 2.57, delivery to 1), then as updated.
  sql.unsafe`INSERT INTO "fact_sales_order" ("sales_order_id", "created_date", "created_time", "last_updated_date",
      "last_updated_time", "sales_staff_id", "counterparty_id", "units_sold", "unit_price", "currency_id", "design_id",
      "agreed_payment_date", "agreed_delivery_date", "agreed_delivery_location_id") VALUES
    (1, '2024-02-29', '10:00:00.123', '2024-02-29', '10:00:00.123', 1, 1, 1000, 2.57, 1, 1, '2024-03-03', '2024-03-04', 1),
    (2, '2024-02-29', '23:59:59.999', '2024-02-29', '23:59:59.999', 2, 2, 1000, 2.58, 2, 2, '2024-03-01', '2024-12-31', 1),
    (1, '2024-02-29', '10:00:00.123', '2024-03-01', '09:30:00.500', 1, 1, 2000, 3.00, 1, 1, '2024-03-03', '2024-03-04', 3)`,
  sql.unsafe`INSERT INTO "fact_purchase_order" ("purchase_order_id", "created_date", "created_time", "last_updated_date",
      "last_updated_time", "staff_id", "counterparty_id", "item_code", "item_quantity", "item_unit_price", "currency_id",
      "agreed_delivery_date", "agreed_payment_date", "agreed_delivery_location_id") VALUES
    (1, '2024-03-01', '00:00:00.000', '2024-03-01', '00:00:00.000', 2, 1, 'ZDOI5EA', 371, 361.39, 3, '2024-03-04', '2024-03-03', 2)`,
  sql.unsafe`INSERT INTO "fact_payment" ("payment_id", "created_date", "created_time", "last_updated_date",
      "last_updated_time", "transaction_id", "counterparty_id", "payment_amount", "currency_id", "payment_type_id", "paid",
      "payment_date") VALUES
    (1, '2024-02-29', '10:00:00.123', '2024-02-29', '10:00:00.123', 1, 1, 2570.00, 1, 1, false, '2024-03-03'),
    (1, '2024-02-29', '10:00:00.123', '2024-03-01', '09:30:00.500', 1, 1, 6000, 1, 1, false, '2024-03-03'),
    (2, '2024-02-29', '23:59:59.999', '2024-02-29', '23:59:59.999', 2, 2, 2580.00, 2, 1, true, '2024-03-01'),
    (3, '2024-03-01', '00:00:00', '2024-03-01', '00:00:00', 3, 1, 134075.69, 3, 3, false, '2024-03-03')`,
];

/** Drops every foreign key that references dim_date, so a test can delete a referenced date. */
export const DROP_DIM_DATE_FOREIGN_KEYS = sql.unsafe`
  DO $$
  DECLARE r record;
  BEGIN
    FOR r IN SELECT conrelid::regclass AS t, conname FROM pg_constraint WHERE confrelid = 'dim_date'::regclass LOOP
      EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', r.t, r.conname);
    END LOOP;
  END $$`;
