// Pure formatting of result files: the format a path asks for, NPY headers, CSV fields.
#include "rankpool/result_format.hpp"

#include <array>
#include <bit>
#include <charconv>

namespace rankpool {

namespace {

/// What numpy calls ARRAY_ALIGN: the data of an NPY file starts at a multiple of it.
constexpr std::size_t npy_align = 64;
/// numpy's GROWTH_AXIS_MAX_DIGITS: room left in the header for the shape to grow in place.
constexpr std::size_t npy_growth_digits = 21;
/// "\x93NUMPY", two version bytes, a uint16 header length.
constexpr std::size_t npy_prefix = 10;

std::string_view file_name(std::string_view path) {
    const auto slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

} // namespace

std::optional<FileFormat> file_format(std::string_view path) {
    const std::string_view name = file_name(path);
    if (name.size() <= 4) {
        return std::nullopt;
    }
    if (name.ends_with(".csv")) {
        return FileFormat::csv;
    }
    if (name.ends_with(".npy")) {
        return FileFormat::npy;
    }
    return std::nullopt;
}

std::string_view accepted_extensions() {
    return ".csv or .npy";
}

std::string_view to_string(FileFormat f) {
    return f == FileFormat::csv ? "csv" : "npy";
}

std::string_view npy_descr(NpyType t) {
    constexpr bool little = std::endian::native == std::endian::little;
    if (t == NpyType::uint64) {
        return little ? "<u8" : ">u8";
    }
    return little ? "<f8" : ">f8";
}

std::string npy_header(NpyType t, std::uint64_t count) {
    const std::string shape = std::to_string(count);
    std::string dict = "{'descr': '" + std::string(npy_descr(t)) +
                       "', 'fortran_order': False, 'shape': (" + shape + ",), }";
    dict.append(npy_growth_digits - shape.size(), ' ');
    const std::size_t with_newline = dict.size() + 1;
    const std::size_t pad = npy_align - (npy_prefix + with_newline) % npy_align;
    const std::size_t header_len = with_newline + pad; // < 65536: v1.0's uint16 holds it
    std::string h = "\x93NUMPY";
    h.push_back('\x01');
    h.push_back('\x00');
    h.push_back(static_cast<char>(header_len & 0xff));
    h.push_back(static_cast<char>(header_len >> 8));
    h += dict;
    h.append(pad, ' ');
    h.push_back('\n');
    return h;
}

void append_csv_field(std::string& out, std::string_view text) {
    if (text.find_first_of(",\"\r\n") == std::string_view::npos) {
        out += text;
        return;
    }
    out.push_back('"');
    for (const char c : text) {
        if (c == '"') {
            out.push_back('"');
        }
        out.push_back(c);
    }
    out.push_back('"');
}

void append_csv_field(std::string& out, std::uint64_t v) {
    std::array<char, 24> s{};
    auto* const end = std::to_chars(s.data(), s.data() + s.size(), v).ptr;
    out.append(s.data(), end);
}

void append_csv_field(std::string& out, double v) {
    std::array<char, 32> s{};
    auto* const end = std::to_chars(s.data(), s.data() + s.size(), v).ptr;
    out.append(s.data(), end);
}

std::string temporary_path(std::string_view path, long pid) {
    const auto slash = path.rfind('/');
    const std::size_t name_at = slash == std::string_view::npos ? 0 : slash + 1;
    return std::string(path.substr(0, name_at)) + "." + std::string(path.substr(name_at)) +
           ".tmp." + std::to_string(pid);
}

std::string parent_folder(std::string_view path) {
    const auto slash = path.rfind('/');
    if (slash == std::string_view::npos) {
        return ".";
    }
    if (slash == 0) {
        return "/";
    }
    return std::string(path.substr(0, slash));
}

} // namespace rankpool
