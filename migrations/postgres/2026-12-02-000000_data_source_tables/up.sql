-- The tables a data source exports besides Issues: a JSON array of table names (see
-- ExtraTable in src/datasources/domain.rs). Data sources made before tables existed get '[]'
-- and keep exporting Issues alone.
ALTER TABLE data_sources ADD COLUMN tables TEXT NOT NULL DEFAULT '[]';
