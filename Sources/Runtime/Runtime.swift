import NetDSL
