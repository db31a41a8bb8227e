ALTER TABLE notifications RENAME COLUMN notification_type TO type;
