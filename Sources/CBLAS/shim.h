// The CBLAS constants Crema passes to OpenBLAS. The functions themselves are looked up at run
// time (Sources/Runtime/Core/BLASLibrary.swift), after OPENBLAS_CORETYPE is chosen, so nothing
// here links the library. The values are CBLAS's standard ones (cblas.h, CBLAS_ORDER and
// CBLAS_TRANSPOSE).
#define CREMA_CBLAS_ROW_MAJOR 101
#define CREMA_CBLAS_NO_TRANS 111
#define CREMA_CBLAS_TRANS 112
