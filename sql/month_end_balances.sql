-- The balance of every account, per currency, at the end of each month of a quarter.
--
-- Reads the published gold table account_balances (database lakegate_<env>; Athena
-- reads its current/ symlink manifests, so only promoted balances are seen). Two
-- parameters: the year (a string, as the partition is) and the quarter (1-4).
--
-- Athena:
--   PREPARE month_end_balances FROM <this statement>;
--   EXECUTE month_end_balances USING '2024', 1;
--
-- A month without transactions has movement 0 and carries the previous balance.
SELECT
    CustomerID AS customer_id,
    Currency AS currency,
    year,
    month,
    balance,
    movement,
    transaction_count
FROM account_balances
WHERE year = ?
  AND ceil(CAST(month AS INTEGER) / 3.0) = ?
ORDER BY customer_id, currency, year, month
