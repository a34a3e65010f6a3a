-- One database; per service a login role that owns its schema and has no rights on the others.
-- Replace the passwords (and the matching <SERVICE>_POSTGRES_PASSWORD values) in production.
REVOKE ALL ON DATABASE clinicledger FROM PUBLIC;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
CREATE ROLE payments LOGIN PASSWORD 'payments-dev-password';
CREATE ROLE insurance LOGIN PASSWORD 'insurance-dev-password';
CREATE ROLE plans LOGIN PASSWORD 'plans-dev-password';
CREATE ROLE notifications LOGIN PASSWORD 'notifications-dev-password';
CREATE ROLE analytics LOGIN PASSWORD 'analytics-dev-password';
CREATE SCHEMA payments AUTHORIZATION payments;
CREATE SCHEMA insurance AUTHORIZATION insurance;
CREATE SCHEMA plans AUTHORIZATION plans;
CREATE SCHEMA notifications AUTHORIZATION notifications;
CREATE SCHEMA analytics AUTHORIZATION analytics;
ALTER ROLE payments SET search_path = payments;
ALTER ROLE insurance SET search_path = insurance;
ALTER ROLE plans SET search_path = plans;
ALTER ROLE notifications SET search_path = notifications;
ALTER ROLE analytics SET search_path = analytics;
GRANT CONNECT ON DATABASE clinicledger TO payments, insurance, plans, notifications, analytics;
