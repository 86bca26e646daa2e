// Pure formatting of result files: the format a path asks for, NPY headers, CSV fields. No MPI.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rankpool {

/// The formats a results file can have, chosen by the file name's extension.
enum class FileFormat {
    csv, ///< text: a header row, then one row per result
    npy, ///< NumPy's array format v1.0: a header, then the values as raw little-endian bytes
};

/// The format a path's extension asks for (".csv" or ".npy", lower case, after at least one
/// other character of the file name), or nothing.
[[nodiscard]] std::optional<FileFormat> file_format(std::string_view path);

/// The extensions file_format accepts, for messages: ".csv or .npy".
[[nodiscard]] std::string_view accepted_extensions();

/// "csv" or "npy".
[[nodiscard]] std::string_view to_string(FileFormat f);

/// The element types an NPY file of results can hold.
enum class NpyType {
    uint64,  ///< descr '<u8'
    float64, ///< descr '<f8'
};

/// The NPY descr of a type in this machine's byte order: "<u8" / "<f8" on little-endian machines.
[[nodiscard]] std::string_view npy_descr(NpyType t);

/// The whole header of a one-dimensional C-order NPY v1.0 file of `count` elements, byte for byte
/// as numpy.save writes it: the magic "\x93NUMPY", version 1.0, the header length (little-endian
/// uint16), the dict {'descr': ..., 'fortran_order': False, 'shape': (count,), }, numpy's spare
/// room for the count to grow to 21 digits, spaces and a newline up to a multiple of 64 bytes.
/// The data starts right after it.
[[nodiscard]] std::string npy_header(NpyType t, std::uint64_t count);

/// Appends a CSV field: the text as it is, or in double quotes (inner quotes doubled) when it holds
/// a comma, a quote or a line break (RFC 4180).
void append_csv_field(std::string& out, std::string_view text);
/// Appends a whole number in decimal.
void append_csv_field(std::string& out, std::uint64_t v);
/// Appends a real in the shortest form that reads back as the same double ("0.05", "1e-07").
void append_csv_field(std::string& out, double v);

/// The path of the temporary file a results file is written to before it is renamed over `path`:
/// ".NAME.tmp.PID" in the same folder ("out/r.npy", 42 -> "out/.r.npy.tmp.42").
[[nodiscard]] std::string temporary_path(std::string_view path, long pid);

/// The folder a path's file is in: "out/r.npy" -> "out", "r.npy" -> ".", "/r.npy" -> "/".
[[nodiscard]] std::string parent_folder(std::string_view path);

} // namespace rankpool
