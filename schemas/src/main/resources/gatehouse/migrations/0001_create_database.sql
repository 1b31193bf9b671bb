-- The database every Gatehouse table lives in.
CREATE DATABASE IF NOT EXISTS gatehouse;
