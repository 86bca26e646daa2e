// An owning array whose elements start uninitialised: result storage that costs no zeroing pass.
#pragma once

#include <cstddef>
#include <memory>
#include <span>

namespace rankpool {

/// A fixed-size array of trivially copyable T. Unlike std::vector it does not value-initialise
/// its elements, so allocating room for 10^8 results costs nothing until they are written.
template <class T>
class Buffer {
public:
    Buffer() = default;
    explicit Buffer(std::size_t n) : data_(std::make_unique_for_overwrite<T[]>(n)), size_(n) {}

    [[nodiscard]] T* data() noexcept { return data_.get(); }
    [[nodiscard]] const T* data() const noexcept { return data_.get(); }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
    T& operator[](std::size_t i) noexcept { return data_[i]; }
    const T& operator[](std::size_t i) const noexcept { return data_[i]; }
    T* begin() noexcept { return data(); }
    T* end() noexcept { return data() + size_; }
    const T* begin() const noexcept { return data(); }
    const T* end() const noexcept { return data() + size_; }
    operator std::span<T>() noexcept { return {data(), size_}; }
    operator std::span<const T>() const noexcept { return {data(), size_}; }

private:
    std::unique_ptr<T[]> data_;
    std::size_t size_ = 0;
};

} // namespace rankpool
