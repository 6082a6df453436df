import Foundation

/// A set of named tensors as stored in a `.safetensors` file (Hugging Face format): an 8-byte
/// little-endian header length `L`, `L` bytes of UTF-8 JSON
/// `{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ..., "__metadata__": {"k": "v"}}`,
/// then the tensors' raw little-endian bytes, row-major, back to back (offsets are relative to the
/// end of the header). Files we write are readable by Python's `safetensors` (`load_file`).
///
/// Generic format only: no knowledge of what the tensors mean (model code names them).
public struct SafetensorsArchive: Equatable, Sendable {
    /// Element types of the format. Floating types convert to `Float` on reading; integer and
    /// boolean tensors are kept as raw bytes (`Entry.bytes`) and also convert to Float on request.
    public enum DType: String, Sendable, CaseIterable {
        case F64, F32, F16, BF16, I64, I32, I16, I8, U64, U32, U16, U8, BOOL

        /// Bytes per element.
        public var byteCount: Int {
            switch self {
            case .F64, .I64, .U64: return 8
            case .F32, .I32, .U32: return 4
            case .F16, .BF16, .I16, .U16: return 2
            case .I8, .U8, .BOOL: return 1
            }
        }
    }

    /// One tensor: dtype, shape and its raw little-endian bytes (`bytes.count == count * dtype.byteCount`).
    public struct Entry: Equatable, Sendable {
        public var dtype: DType
        public var shape: [Int]
        public var bytes: Data

        /// Number of elements (`shape.reduce(1, *)`; a 0-d tensor has one).
        public var count: Int { shape.reduce(1, *) }

        /// Wraps raw bytes; precondition: the byte count matches shape and dtype.
        public init(dtype: DType, shape: [Int], bytes: Data) {
            precondition(bytes.count == shape.reduce(1, *) * dtype.byteCount,
                         "Safetensors entry: \(bytes.count) bytes for shape \(shape) of \(dtype)")
            self.dtype = dtype; self.shape = shape; self.bytes = bytes
        }

        /// An F32 tensor holding `values` (row-major) with `shape`.
        public init(shape: [Int], float32 values: [Float]) {
            precondition(values.count == shape.reduce(1, *), "Safetensors entry: \(values.count) values for shape \(shape)")
            var data = Data(count: values.count * 4)
            data.withUnsafeMutableBytes { raw in
                for (i, v) in values.enumerated() { raw.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self) }
            }
            self.init(dtype: .F32, shape: shape, bytes: data)
        }

        /// The elements as Float: F64 is rounded, F16/BF16 widened exactly, integers and booleans converted.
        public func floatValues() -> [Float] {
            let n = count
            return bytes.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> [Float] in
                func u16(_ i: Int) -> UInt16 { UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
                func u32(_ i: Int) -> UInt32 { UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) }
                func u64(_ i: Int) -> UInt64 { UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)) }
                switch dtype {
                case .F32: return (0..<n).map { Float(bitPattern: u32($0)) }
                case .F64: return (0..<n).map { Float(Double(bitPattern: u64($0))) }
                case .F16: return (0..<n).map { halfToFloat(u16($0)) }
                case .BF16: return (0..<n).map { Float(bitPattern: UInt32(u16($0)) << 16) }
                case .I64: return (0..<n).map { Float(Int64(bitPattern: u64($0))) }
                case .I32: return (0..<n).map { Float(Int32(bitPattern: u32($0))) }
                case .I16: return (0..<n).map { Float(Int16(bitPattern: u16($0))) }
                case .I8: return (0..<n).map { Float(Int8(bitPattern: raw[$0])) }
                case .U64: return (0..<n).map { Float(u64($0)) }
                case .U32: return (0..<n).map { Float(u32($0)) }
                case .U16: return (0..<n).map { Float(u16($0)) }
                case .U8, .BOOL: return (0..<n).map { Float(raw[$0]) }
                }
            }
        }
    }

    /// Tensors by name.
    public var tensors: [String: Entry]
    /// The free-form string map stored under `__metadata__`.
    public var metadata: [String: String]

    public init(tensors: [String: Entry] = [:], metadata: [String: String] = [:]) {
        self.tensors = tensors; self.metadata = metadata
    }

    /// Tensor names in sorted order (the order `Safetensors.encode` writes them).
    public var names: [String] { tensors.keys.sorted() }
}

/// IEEE 754 binary16 bits → Float (exact; subnormals, infinities and NaN kept).
func halfToFloat(_ h: UInt16) -> Float {
    let sign = UInt32(h >> 15) << 31
    let exponent = Int((h >> 10) & 0x1F), mantissa = UInt32(h & 0x3FF)
    switch exponent {
    case 0:
        let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
        return sign != 0 ? -magnitude : magnitude
    case 31:
        return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
    default:
        return Float(bitPattern: sign | UInt32(exponent + 112) << 23 | (mantissa << 13))
    }
}

/// Reads and writes `.safetensors` files; failures are one-line `Safetensors.Error`s naming the file.
public enum Safetensors {
    /// A problem with one safetensors file; `description` is one line naming the file.
    public enum Error: Swift.Error, CustomStringConvertible, Equatable {
        case cannotRead(path: String, reason: String)
        case badHeader(path: String, detail: String)
        case unsupportedDType(path: String, tensor: String, dtype: String)
        case badOffsets(path: String, tensor: String, detail: String)
        case missingTensor(path: String, tensor: String)
        case wrongShape(path: String, tensor: String, expected: [Int], found: [Int])

        public var description: String {
            switch self {
            case let .cannotRead(path, reason): return "\(path): cannot read safetensors file: \(reason)"
            case let .badHeader(path, detail): return "\(path): malformed safetensors header: \(detail)"
            case let .unsupportedDType(path, tensor, dtype): return "\(path): tensor '\(tensor)' has unsupported dtype '\(dtype)'"
            case let .badOffsets(path, tensor, detail): return "\(path): tensor '\(tensor)' has bad data offsets: \(detail)"
            case let .missingTensor(path, tensor): return "\(path): missing tensor '\(tensor)'"
            case let .wrongShape(path, tensor, expected, found): return "\(path): tensor '\(tensor)' has shape \(found), expected \(expected)"
            }
        }
    }

    /// Header sizes above this are rejected (the reference implementation's limit is 100 MB).
    static let maximumHeaderBytes = 100_000_000

    /// Reads a `.safetensors` file.
    public static func read(_ url: URL) throws -> SafetensorsArchive {
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            let reason = FileManager.default.fileExists(atPath: url.path) ? "unreadable" : "no such file"
            throw Error.cannotRead(path: url.path, reason: reason)
        }
        return try decode(data, path: url.path)
    }

    /// Parses the bytes of a `.safetensors` file; `path` is used only in error messages.
    public static func decode(_ data: Data, path: String = "<safetensors data>") throws -> SafetensorsArchive {
        guard data.count >= 8 else { throw Error.badHeader(path: path, detail: "file shorter than 8 bytes") }
        let base = data.startIndex
        let headerLength = (0..<8).reduce(UInt64(0)) { $0 | UInt64(data[base + $1]) << (8 * UInt64($1)) }
        guard headerLength <= UInt64(maximumHeaderBytes), 8 + Int(headerLength) <= data.count else {
            throw Error.badHeader(path: path, detail: "header length \(headerLength) exceeds the file size \(data.count)")
        }
        let headerBytes = data[(base + 8)..<(base + 8 + Int(headerLength))]
        guard let json = try? JSONSerialization.jsonObject(with: Data(headerBytes)), let header = json as? [String: Any] else {
            throw Error.badHeader(path: path, detail: "header is not a JSON object")
        }
        let bufferStart = base + 8 + Int(headerLength)
        let bufferLength = data.count - 8 - Int(headerLength)
        var archive = SafetensorsArchive()
        for (name, value) in header {
            if name == "__metadata__" {
                guard let map = value as? [String: Any] else { throw Error.badHeader(path: path, detail: "__metadata__ is not an object") }
                for (k, v) in map {
                    guard let s = v as? String else { throw Error.badHeader(path: path, detail: "__metadata__ value for '\(k)' is not a string") }
                    archive.metadata[k] = s
                }
                continue
            }
            guard let info = value as? [String: Any] else { throw Error.badHeader(path: path, detail: "entry '\(name)' is not an object") }
            guard let dtypeName = info["dtype"] as? String else { throw Error.badHeader(path: path, detail: "entry '\(name)' has no dtype") }
            guard let dtype = SafetensorsArchive.DType(rawValue: dtypeName) else {
                throw Error.unsupportedDType(path: path, tensor: name, dtype: dtypeName)
            }
            guard let shapeValues = info["shape"] as? [Any], let shape = integers(shapeValues), shape.allSatisfy({ $0 >= 0 }) else {
                throw Error.badHeader(path: path, detail: "entry '\(name)' has no valid shape")
            }
            guard let offsetValues = info["data_offsets"] as? [Any], let offsets = integers(offsetValues), offsets.count == 2 else {
                throw Error.badOffsets(path: path, tensor: name, detail: "need [begin, end]")
            }
            let (begin, end) = (offsets[0], offsets[1])
            // Overflow-checked: a forged shape must give an error, not a trap.
            var expected = dtype.byteCount, overflow = false
            for d in shape where !overflow { (expected, overflow) = expected.multipliedReportingOverflow(by: d) }
            guard !overflow else { throw Error.badHeader(path: path, detail: "entry '\(name)' has a shape \(shape) larger than any file") }
            guard begin >= 0, begin <= end, end <= bufferLength else {
                throw Error.badOffsets(path: path, tensor: name, detail: "[\(begin), \(end)] outside the \(bufferLength)-byte data section")
            }
            guard end - begin == expected else {
                throw Error.badOffsets(path: path, tensor: name, detail: "\(end - begin) bytes for shape \(shape) of \(dtype) (\(expected) expected)")
            }
            let bytes = Data(data[(bufferStart + begin)..<(bufferStart + end)])
            archive.tensors[name] = SafetensorsArchive.Entry(dtype: dtype, shape: shape, bytes: bytes)
        }
        return archive
    }

    /// JSON numbers (NSNumber on Linux and macOS) → Int, or nil if any is not an integer.
    private static func integers(_ values: [Any]) -> [Int]? {
        var out: [Int] = []
        for v in values {
            if let i = v as? Int { out.append(i) } else if let n = v as? NSNumber, n.doubleValue == n.doubleValue.rounded() {
                out.append(n.intValue)
            } else { return nil }
        }
        return out
    }

    /// Encodes an archive: tensors in sorted-name order, contiguous, header padded with spaces to a
    /// multiple of 8 bytes (so the data section is 8-byte aligned), metadata under `__metadata__`
    /// (omitted when empty). Deterministic: the same archive always gives the same bytes.
    public static func encode(_ archive: SafetensorsArchive) -> Data {
        var entries: [String] = []
        var offset = 0
        for name in archive.names {
            let e = archive.tensors[name]!
            let shape = e.shape.map(String.init).joined(separator: ",")
            entries.append("\(jsonString(name)):{\"dtype\":\"\(e.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + e.bytes.count)]}")
            offset += e.bytes.count
        }
        if !archive.metadata.isEmpty {
            let pairs = archive.metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(archive.metadata[$0]!))" }
            entries.insert("\"__metadata__\":{\(pairs.joined(separator: ","))}", at: 0)
        }
        var header = Array("{\(entries.joined(separator: ","))}".utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var out = Data(capacity: 8 + header.count + offset)
        var length = UInt64(header.count).littleEndian
        withUnsafeBytes(of: &length) { out.append(contentsOf: $0) }
        out.append(contentsOf: header)
        for name in archive.names { out.append(archive.tensors[name]!.bytes) }
        return out
    }

    /// Writes an archive to `url` atomically (see `writeAtomically`).
    public static func write(_ archive: SafetensorsArchive, to url: URL) throws {
        try writeAtomically(encode(archive), to: url)
    }

    /// A JSON string literal for `s` (quotes, backslashes and control characters escaped).
    static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }
}

extension SafetensorsArchive {
    /// The named tensor as Float values, checking its shape when `shape` is given.
    /// `path` names the file in errors.
    public func floats(_ name: String, shape expected: [Int]? = nil, path: String = "<safetensors>") throws -> [Float] {
        guard let e = tensors[name] else { throw Safetensors.Error.missingTensor(path: path, tensor: name) }
        if let expected, expected != e.shape {
            throw Safetensors.Error.wrongShape(path: path, tensor: name, expected: expected, found: e.shape)
        }
        return e.floatValues()
    }
}
