ALTER TABLE data_sources DROP COLUMN tables;
