import Foundation
import TensorCore

/// An n-dimensional array as stored in a NumPy `.npy` file: a shape, an element type, and the
/// elements in C (row-major) order. `values.count == shape.reduce(1, *)` (a 0-d array has shape `[]`
/// and one element).
///
/// Used for the audio-feature arrays of the ER-NeRF dataset format: `aud_ds.npy` `[N, 16, 29]`,
/// `aud_eo.npy` `[N, 16, 44]`, `aud_hu.npy` `[N, 2, 1024]`, and ours `[N, 16, C]`.
public struct NpyArray: Equatable, Sendable {
    /// The element types we read and write (NumPy `descr`, little-endian or byte-order-free).
    public enum DType: String, Sendable, CaseIterable {
        case float32, float64, int8, int16, int32, int64, uint8, uint16, uint32, uint64

        /// The NumPy `descr` string written to headers, e.g. `<f4`.
        public var descr: String {
            switch self {
            case .float32: return "<f4"
            case .float64: return "<f8"
            case .int8: return "|i1"
            case .int16: return "<i2"
            case .int32: return "<i4"
            case .int64: return "<i8"
            case .uint8: return "|u1"
            case .uint16: return "<u2"
            case .uint32: return "<u4"
            case .uint64: return "<u8"
            }
        }

        /// Bytes per element.
        public var byteCount: Int {
            switch self {
            case .int8, .uint8: return 1
            case .int16, .uint16: return 2
            case .float32, .int32, .uint32: return 4
            case .float64, .int64, .uint64: return 8
            }
        }

        /// Parses a `descr` such as `<f4`, `|u1`, `=i8`; nil for anything else (see `Npy.Error`).
        init?(descr: String) {
            guard descr.count >= 3, let order = descr.first, "<|=".contains(order) else { return nil }
            let code = descr.dropFirst()
            guard let match = DType.allCases.first(where: { $0.descr.dropFirst() == code }) else { return nil }
            self = match
        }
    }

    /// Element storage: floats keep their width; every integer type is held as `Int64`.
    public enum Values: Equatable, Sendable {
        case float32([Float])
        case float64([Double])
        case integers([Int64])

        public var count: Int {
            switch self {
            case .float32(let v): return v.count
            case .float64(let v): return v.count
            case .integers(let v): return v.count
            }
        }
    }

    public var shape: [Int]
    public var dtype: DType
    public var values: Values

    /// Wraps values; precondition: the element count matches the shape and the storage matches
    /// `dtype` (floats for float types, integers in range for integer types).
    public init(shape: [Int], dtype: DType, values: Values) {
        precondition(shape.reduce(1, *) == values.count, "NpyArray: shape \(shape) does not match \(values.count) values")
        switch (dtype, values) {
        case (.float32, .float32), (.float64, .float64): break
        case (.float32, _), (.float64, _), (_, .float32), (_, .float64):
            preconditionFailure("NpyArray: values storage does not match dtype \(dtype)")
        default: break
        }
        self.shape = shape
        self.dtype = dtype
        self.values = values
    }

    /// A float32 array of the given shape.
    public init(shape: [Int], float32 values: [Float]) {
        self.init(shape: shape, dtype: .float32, values: .float32(values))
    }

    /// A float32 array holding a tensor's shape and data.
    public init(_ tensor: Tensor) {
        self.init(shape: tensor.shape, float32: tensor.data)
    }

    /// Number of elements.
    public var count: Int { values.count }

    /// The elements converted to Float (float64 and large integers lose precision).
    public func floatValues() -> [Float] {
        switch values {
        case .float32(let v): return v
        case .float64(let v): return v.map { Float($0) }
        case .integers(let v): return v.map { Float($0) }
        }
    }

    /// The array as a Float tensor of the same shape (0-d arrays become shape `[]`).
    public func tensor() -> Tensor { Tensor(shape: shape, data: floatValues()) }
}

/// Reads and writes NumPy `.npy` files (format versions 1.0, 2.0 and 3.0 read; 1.0 written, or 2.0
/// when the header needs it). Little-endian, C order only; other files fail with a one-line
/// `Npy.Error` that names the file.
public enum Npy {
    /// A problem with one `.npy` file; `description` is one line naming the file.
    public enum Error: Swift.Error, CustomStringConvertible, Equatable {
        case cannotRead(path: String, reason: String)
        case notNpy(path: String)
        case unsupportedVersion(path: String, major: Int, minor: Int)
        case badHeader(path: String, detail: String)
        case unsupportedDType(path: String, descr: String)
        case bigEndian(path: String, descr: String)
        case fortranOrder(path: String)
        case truncated(path: String, expectedBytes: Int, actualBytes: Int)
        case integerOverflow(path: String)
        case cannotWrite(path: String, reason: String)

        public var description: String {
            switch self {
            case let .cannotRead(path, reason): return "\(path): cannot read npy file: \(reason)"
            case let .notNpy(path): return "\(path): not a NumPy .npy file (missing \\x93NUMPY magic)"
            case let .unsupportedVersion(path, major, minor): return "\(path): unsupported npy format version \(major).\(minor)"
            case let .badHeader(path, detail): return "\(path): malformed npy header: \(detail)"
            case let .unsupportedDType(path, descr): return "\(path): unsupported npy dtype '\(descr)' (need float32, float64 or an integer type)"
            case let .bigEndian(path, descr): return "\(path): big-endian npy dtype '\(descr)' is not supported (save little-endian)"
            case let .fortranOrder(path): return "\(path): Fortran-order npy arrays are not supported (save with C order)"
            case let .truncated(path, expected, actual): return "\(path): npy data truncated: expected \(expected) bytes of data, found \(actual)"
            case let .integerOverflow(path): return "\(path): uint64 value too large for Int64"
            case let .cannotWrite(path, reason): return "\(path): cannot write npy file: \(reason)"
            }
        }
    }

    private static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // "\x93NUMPY"

    /// Reads an `.npy` file.
    public static func read(_ url: URL) throws -> NpyArray {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            let reason = FileManager.default.fileExists(atPath: url.path) ? "unreadable" : "no such file"
            throw Error.cannotRead(path: url.path, reason: reason)
        }
        return try decode(data, path: url.path)
    }

    /// Parses the bytes of an `.npy` file; `path` is used only in error messages.
    public static func decode(_ data: Data, path: String = "<npy data>") throws -> NpyArray {
        let bytes = [UInt8](data)
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else { throw Error.notNpy(path: path) }
        let major = Int(bytes[6]), minor = Int(bytes[7])
        let headerLength: Int, headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw Error.badHeader(path: path, detail: "file ends inside the header length") }
            headerLength = (0..<4).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
            headerStart = 12
        default:
            throw Error.unsupportedVersion(path: path, major: major, minor: minor)
        }
        let dataStart = headerStart + headerLength
        guard dataStart <= bytes.count else { throw Error.badHeader(path: path, detail: "file ends inside the header") }
        // Version 3 allows UTF-8 in the header; 1 and 2 are Latin-1 (ASCII in practice).
        guard let header = String(bytes: bytes[headerStart..<dataStart], encoding: major == 3 ? .utf8 : .isoLatin1) else {
            throw Error.badHeader(path: path, detail: "header is not text")
        }
        let fields = try HeaderFields(parsing: header, path: path)
        if fields.fortranOrder { throw Error.fortranOrder(path: path) }
        if fields.descr.first == ">" { throw Error.bigEndian(path: path, descr: fields.descr) }
        guard let dtype = NpyArray.DType(descr: fields.descr) else {
            throw Error.unsupportedDType(path: path, descr: fields.descr)
        }
        // Overflow-checked: a forged shape must give an error, not a trap.
        var count = 1, overflow = false
        for d in fields.shape where !overflow { (count, overflow) = count.multipliedReportingOverflow(by: d) }
        let (expected, overflow2) = count.multipliedReportingOverflow(by: dtype.byteCount)
        let available = bytes.count - dataStart
        guard !overflow, !overflow2, available >= expected else {
            if overflow || overflow2 {
                throw Error.badHeader(path: path, detail: "shape \(fields.shape) is larger than any file can hold")
            }
            throw Error.truncated(path: path, expectedBytes: expected, actualBytes: available)
        }
        let values = try bytes.withUnsafeBytes { raw -> NpyArray.Values in
            let body = UnsafeRawBufferPointer(rebasing: raw[dataStart..<(dataStart + expected)])
            return try decodeValues(body, dtype: dtype, count: count, path: path)
        }
        return NpyArray(shape: fields.shape, dtype: dtype, values: values)
    }

    /// Serialises an array as `.npy` bytes (little-endian, C order).
    public static func encode(_ array: NpyArray) -> Data {
        let shapeText: String
        switch array.shape.count {
        case 0: shapeText = "()"
        case 1: shapeText = "(\(array.shape[0]),)"
        default: shapeText = "(" + array.shape.map(String.init).joined(separator: ", ") + ")"
        }
        var header = "{'descr': '\(array.dtype.descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        // Pad with spaces so that magic + version + length + header + "\n" is a multiple of 64
        // (NumPy's alignment, so the data can be memory-mapped).
        let useVersion2 = header.utf8.count + 1 + 10 > 65535
        let prefix = useVersion2 ? 12 : 10
        let total = prefix + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - total % 64) % 64) + "\n"
        let headerLength = header.utf8.count

        var out = Data(magic)
        out.append(contentsOf: useVersion2 ? [2, 0] : [1, 0])
        if useVersion2 {
            out.append(contentsOf: (0..<4).map { UInt8(truncatingIfNeeded: headerLength >> (8 * $0)) })
        } else {
            out.append(contentsOf: [UInt8(headerLength & 0xFF), UInt8(headerLength >> 8)])
        }
        out.append(contentsOf: Array(header.utf8))
        out.append(encodeValues(array.values, dtype: array.dtype))
        return out
    }

    /// Writes an `.npy` file atomically (`writeAtomically`).
    public static func write(_ array: NpyArray, to url: URL) throws {
        do { try writeAtomically(encode(array), to: url) } catch let error as FileWriteError {
            throw Error.cannotWrite(path: url.path, reason: error.reason)
        }
    }

    /// Writes a Float tensor as a float32 `.npy` file of the same shape.
    public static func write(_ tensor: Tensor, to url: URL) throws {
        try write(NpyArray(tensor), to: url)
    }

    // MARK: - Element coding

    private static func decodeValues(_ body: UnsafeRawBufferPointer, dtype: NpyArray.DType, count: Int, path: String) throws -> NpyArray.Values {
        func load<T: FixedWidthInteger>(_: T.Type) -> [Int64] {
            (0..<count).map { Int64(T(littleEndian: body.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self))) }
        }
        switch dtype {
        case .float32:
            return .float32((0..<count).map {
                Float(bitPattern: UInt32(littleEndian: body.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)))
            })
        case .float64:
            return .float64((0..<count).map {
                Double(bitPattern: UInt64(littleEndian: body.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self)))
            })
        case .int8: return .integers(load(Int8.self))
        case .int16: return .integers(load(Int16.self))
        case .int32: return .integers(load(Int32.self))
        case .int64: return .integers(load(Int64.self))
        case .uint8: return .integers(load(UInt8.self))
        case .uint16: return .integers(load(UInt16.self))
        case .uint32: return .integers(load(UInt32.self))
        case .uint64:
            var out = [Int64](); out.reserveCapacity(count)
            for i in 0..<count {
                let v = UInt64(littleEndian: body.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))
                guard v <= UInt64(Int64.max) else { throw Error.integerOverflow(path: path) }
                out.append(Int64(v))
            }
            return .integers(out)
        }
    }

    private static func encodeValues(_ values: NpyArray.Values, dtype: NpyArray.DType) -> Data {
        var out = Data(capacity: values.count * dtype.byteCount)
        func append<T: FixedWidthInteger>(_ v: T) {
            withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
        }
        switch values {
        case .float32(let v): v.forEach { append($0.bitPattern) }
        case .float64(let v): v.forEach { append($0.bitPattern) }
        case .integers(let v):
            for x in v {
                switch dtype {
                case .int8: append(Int8(truncatingIfNeeded: x))
                case .int16: append(Int16(truncatingIfNeeded: x))
                case .int32: append(Int32(truncatingIfNeeded: x))
                case .int64: append(x)
                case .uint8: append(UInt8(truncatingIfNeeded: x))
                case .uint16: append(UInt16(truncatingIfNeeded: x))
                case .uint32: append(UInt32(truncatingIfNeeded: x))
                case .uint64: append(UInt64(truncatingIfNeeded: x))
                case .float32, .float64: break  // excluded by NpyArray.init
                }
            }
        }
        return out
    }
}

/// The three fields of an npy header dict: `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`.
private struct HeaderFields {
    var descr: String
    var fortranOrder: Bool
    var shape: [Int]

    init(parsing header: String, path: String) throws {
        func valueText(after key: String) throws -> Substring {
            guard let keyRange = header.range(of: "'\(key)'") ?? header.range(of: "\"\(key)\"") else {
                throw Npy.Error.badHeader(path: path, detail: "no '\(key)' field")
            }
            let rest = header[keyRange.upperBound...].drop { $0 == " " }
            guard rest.first == ":" else { throw Npy.Error.badHeader(path: path, detail: "no ':' after '\(key)'") }
            return rest.dropFirst().drop { $0 == " " }
        }
        let descrText = try valueText(after: "descr")
        guard let quote = descrText.first, quote == "'" || quote == "\"",
              let end = descrText.dropFirst().firstIndex(of: quote) else {
            throw Npy.Error.badHeader(path: path, detail: "'descr' is not a string (structured dtypes are not supported)")
        }
        descr = String(descrText[descrText.index(after: descrText.startIndex)..<end])

        let orderText = try valueText(after: "fortran_order")
        if orderText.hasPrefix("False") { fortranOrder = false }
        else if orderText.hasPrefix("True") { fortranOrder = true }
        else { throw Npy.Error.badHeader(path: path, detail: "'fortran_order' is not True or False") }

        let shapeText = try valueText(after: "shape")
        guard shapeText.first == "(", let close = shapeText.firstIndex(of: ")") else {
            throw Npy.Error.badHeader(path: path, detail: "'shape' is not a tuple")
        }
        let inner = shapeText[shapeText.index(after: shapeText.startIndex)..<close]
        var dims: [Int] = []
        for part in inner.split(separator: ",") {
            let token = part.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "L", with: "")
            if token.isEmpty { continue }
            guard let d = Int(token), d >= 0 else {
                throw Npy.Error.badHeader(path: path, detail: "bad dimension '\(token)' in shape")
            }
            dims.append(d)
        }
        shape = dims
    }
}
