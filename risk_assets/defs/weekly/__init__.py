"""The weekly pipeline of one (week, tenant) partition: snapshot → checks → metrics → tenant_summary → tenant_report."""
