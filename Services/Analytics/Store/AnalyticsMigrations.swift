import Storage

enum AnalyticsMigrations {
    static let all = [
        Migration(1, "receivables read model", [
            """
            CREATE TABLE open_charges (
                clinic_id text NOT NULL,
                charge_id text NOT NULL,
                patient_id text NOT NULL,
                service_date date NOT NULL,
                amount bigint NOT NULL,
                currency char(3) NOT NULL,
                reversed boolean NOT NULL DEFAULT false,
                PRIMARY KEY (clinic_id, charge_id))
            """,
            """
            CREATE TABLE patient_balances (
                clinic_id text NOT NULL,
                patient_id text NOT NULL,
                currency char(3) NOT NULL,
                balance bigint NOT NULL,
                version bigint NOT NULL,
                PRIMARY KEY (clinic_id, patient_id, currency))
            """,
            """
            CREATE TABLE expenses (
                clinic_id text NOT NULL,
                expense_id text NOT NULL,
                category text NOT NULL,
                amount bigint NOT NULL,
                currency char(3) NOT NULL,
                incurred_on date NOT NULL,
                PRIMARY KEY (clinic_id, expense_id))
            """,
        ]),
        Migration(2, "when each charge became visible, for latency figures", [
            "ALTER TABLE open_charges ADD COLUMN recorded_at timestamptz NOT NULL DEFAULT clock_timestamp()",
        ]),
        // What moved a balance other than a charge (adjustments today; payments and insurance later), dated,
        // so that aging can apply credits to the oldest charges.
        Migration(3, "balance changes other than charges, for aging", [
            """
            CREATE TABLE other_balance_changes (
                clinic_id text NOT NULL,
                event_id text NOT NULL,
                patient_id text NOT NULL,
                currency char(3) NOT NULL,
                change bigint NOT NULL,
                occurred_on date NOT NULL,
                PRIMARY KEY (clinic_id, event_id))
            """,
        ]),
    ]
}
