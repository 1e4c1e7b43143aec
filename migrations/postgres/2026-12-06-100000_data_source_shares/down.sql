DROP TABLE data_source_shares;
