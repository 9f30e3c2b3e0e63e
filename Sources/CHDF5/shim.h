#pragma once
// libhdf5 (Debian's libhdf5-dev, the serial build: not thread-safe, callers serialize every call).
// The native type ids are macros over globals that need H5open() first: Swift cannot import
// them, so these functions hand them over.
#include <hdf5.h>

static inline hid_t cq_h5t_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t cq_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t cq_h5t_native_int32(void) { return H5T_NATIVE_INT32; }
static inline hid_t cq_h5t_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t cq_h5t_native_uint64(void) { return H5T_NATIVE_UINT64; }
static inline hid_t cq_h5t_c_s1(void) { return H5T_C_S1; }
static inline hid_t cq_h5p_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t cq_h5p_default(void) { return H5P_DEFAULT; }
static inline hid_t cq_h5s_all(void) { return H5S_ALL; }
static inline size_t cq_h5t_variable(void) { return H5T_VARIABLE; }
static inline hid_t cq_h5e_default(void) { return H5E_DEFAULT; }
