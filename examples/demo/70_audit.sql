-- The audit trail: who changed a customer, when and how (the password hash is never logged)
SELECT dbmigrate_add('6', 'customer accounts',
  'CREATE TABLE customer (id INTEGER PRIMARY KEY, name TEXT, plan TEXT, password_hash TEXT);',
  'DROP TABLE customer;') AS registered;
SELECT dbmigrate_apply() AS applied;
INSERT INTO customer VALUES (1, 'Ann', 'free', 'x1');
SELECT dbaudit_enable('customer', '{"exclude": ["password_hash"], "baseline": true}') AS audited;
SELECT dbaudit_actor('support@example.com') AS actor;
UPDATE customer SET plan = 'pro', password_hash = 'x2' WHERE id = 1;
UPDATE customer SET name = 'Ann Lee' WHERE id = 1;
SELECT id, operation, actor, old_values, new_values FROM dbaudit_history('customer', '{"id": 1}');
