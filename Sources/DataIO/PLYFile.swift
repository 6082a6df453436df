import Foundation

/// A generic PLY file (format layer: knows nothing of Gaussians; STYLE.md "generic format →
/// domain meaning"). Supports `binary_little_endian`, `binary_big_endian` and `ascii` bodies with
/// scalar properties (char…double); list properties are rejected with a clear error.
/// Values are held as Float per property column (float32 files round-trip bit-exactly).
public struct PLYFile: Equatable {
    public struct Element: Equatable {
        public var name: String
        public var count: Int
        public var propertyNames: [String]
        /// Column-major values: `columns[p][row]`.
        public var columns: [[Float]]

        public init(name: String, count: Int, propertyNames: [String], columns: [[Float]]) {
            self.name = name; self.count = count; self.propertyNames = propertyNames; self.columns = columns
        }

        /// The column named `name`, if present.
        public func column(_ name: String) -> [Float]? {
            propertyNames.firstIndex(of: name).map { columns[$0] }
        }
    }

    public var elements: [Element]
    public var comments: [String]

    public init(elements: [Element], comments: [String] = []) { self.elements = elements; self.comments = comments }

    public func element(_ name: String) -> Element? { elements.first { $0.name == name } }

    /// Errors while reading a PLY file; each names the file.
    public enum Error: Swift.Error, CustomStringConvertible, Equatable {
        case unreadable(String)
        case notPLY(String)
        case badHeader(String, String)
        case truncated(String, String)
        case badValue(String, String)

        public var description: String {
            switch self {
            case .unreadable(let f): return "\(f): cannot read the file (missing or no permission)"
            case .notPLY(let f): return "\(f): not a PLY file (no 'ply' magic line)"
            case .badHeader(let f, let why): return "\(f): bad PLY header: \(why)"
            case .truncated(let f, let why): return "\(f): truncated PLY data: \(why)"
            case .badValue(let f, let why): return "\(f): bad PLY value: \(why)"
            }
        }
    }

    // MARK: reading

    enum Format { case ascii, binaryLittle, binaryBig }
    enum ScalarType: String {
        case char, uchar, short, ushort, int, uint, float, double
        init?(plyName: String) {
            switch plyName {
            case "char", "int8": self = .char
            case "uchar", "uint8": self = .uchar
            case "short", "int16": self = .short
            case "ushort", "uint16": self = .ushort
            case "int", "int32": self = .int
            case "uint", "uint32": self = .uint
            case "float", "float32": self = .float
            case "double", "float64": self = .double
            default: return nil
            }
        }
        var size: Int {
            switch self {
            case .char, .uchar: return 1
            case .short, .ushort: return 2
            case .int, .uint, .float: return 4
            case .double: return 8
            }
        }
    }

    /// Reads and parses the PLY file at `url`.
    public static func read(_ url: URL) throws -> PLYFile {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw Error.unreadable(url.path) }
        return try parse(data, name: url.path)
    }

    /// Parses PLY bytes; `name` is used in error messages.
    public static func parse(_ data: Data, name: String) throws -> PLYFile {
        let bytes = [UInt8](data)
        // Header: lines up to "end_header\n".
        guard bytes.count >= 4, bytes[0] == 0x70, bytes[1] == 0x6C, bytes[2] == 0x79, bytes[3] == 0x0A || bytes[3] == 0x0D
        else { throw Error.notPLY(name) }
        var pos = 0
        var lines: [String] = []
        while true {
            guard let nl = bytes[pos...].firstIndex(of: 0x0A) else { throw Error.badHeader(name, "no end_header line") }
            let line = String(decoding: bytes[pos..<nl], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            pos = nl + 1
            if line == "end_header" { break }
            lines.append(line)
            if lines.count > 10_000 { throw Error.badHeader(name, "header has no end") }
        }
        var format: Format?
        var comments: [String] = []
        var specs: [(name: String, count: Int, props: [(String, ScalarType)])] = []
        for line in lines.dropFirst() {
            let parts = line.split(separator: " ").map(String.init)
            guard let key = parts.first else { continue }
            switch key {
            case "format":
                guard parts.count >= 2 else { throw Error.badHeader(name, "format line '\(line)'") }
                switch parts[1] {
                case "ascii": format = .ascii
                case "binary_little_endian": format = .binaryLittle
                case "binary_big_endian": format = .binaryBig
                default: throw Error.badHeader(name, "unknown format '\(parts[1])'")
                }
            case "comment", "obj_info": comments.append(parts.dropFirst().joined(separator: " "))
            case "element":
                guard parts.count == 3, let n = Int(parts[2]), n >= 0 else { throw Error.badHeader(name, "element line '\(line)'") }
                specs.append((parts[1], n, []))
            case "property":
                guard !specs.isEmpty else { throw Error.badHeader(name, "property before any element") }
                if parts.count >= 2 && parts[1] == "list" {
                    throw Error.badHeader(name, "list property '\(parts.last ?? "")' is not supported")
                }
                guard parts.count == 3, let type = ScalarType(plyName: parts[1]) else {
                    throw Error.badHeader(name, "property line '\(line)'")
                }
                specs[specs.count - 1].props.append((parts[2], type))
            default: throw Error.badHeader(name, "unknown header line '\(line)'")
            }
        }
        guard let format else { throw Error.badHeader(name, "missing format line") }
        var elements: [Element] = []
        if format == .ascii {
            let body = String(decoding: bytes[pos...], as: UTF8.self)
            var tokens = body.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\t" }).makeIterator()
            for spec in specs {
                // n ASCII values take at least 2n − 1 bytes, so a count beyond that is truncated data
                // (checked before reserving, so a forged header cannot make us allocate it).
                guard spec.count <= (bytes.count - pos + 1) / max(2 * spec.props.count, 1) else {
                    throw Error.truncated(name, "element '\(spec.name)' claims \(spec.count) rows, more than the file can hold")
                }
                var cols = [[Float]](repeating: [], count: spec.props.count)
                for c in cols.indices { cols[c].reserveCapacity(spec.count) }
                for row in 0..<spec.count {
                    for c in 0..<spec.props.count {
                        guard let tok = tokens.next() else {
                            throw Error.truncated(name, "element '\(spec.name)' ends at row \(row) of \(spec.count)")
                        }
                        guard let v = Float(tok) else { throw Error.badValue(name, "'\(tok)' in element '\(spec.name)' row \(row)") }
                        cols[c].append(v)
                    }
                }
                elements.append(Element(name: spec.name, count: spec.count, propertyNames: spec.props.map { $0.0 }, columns: cols))
            }
        } else {
            let little = format == .binaryLittle
            for spec in specs {
                let rowSize = spec.props.reduce(0) { $0 + $1.1.size }
                let (needed, overflow) = rowSize.multipliedReportingOverflow(by: spec.count)
                guard !overflow, bytes.count - pos >= needed else {
                    if overflow { throw Error.truncated(name, "element '\(spec.name)' claims \(spec.count) rows, more than the file can hold") }
                    throw Error.truncated(name, "element '\(spec.name)' needs \(needed) bytes, \(bytes.count - pos) left")
                }
                var cols = [[Float]](repeating: [Float](repeating: 0, count: spec.count), count: spec.props.count)
                bytes.withUnsafeBytes { raw in
                    var offset = pos
                    for row in 0..<spec.count {
                        for (c, prop) in spec.props.enumerated() {
                            cols[c][row] = readScalar(raw, offset, prop.1, little: little)
                            offset += prop.1.size
                        }
                    }
                }
                pos += needed
                elements.append(Element(name: spec.name, count: spec.count, propertyNames: spec.props.map { $0.0 }, columns: cols))
            }
        }
        return PLYFile(elements: elements, comments: comments)
    }

    private static func readScalar(_ raw: UnsafeRawBufferPointer, _ o: Int, _ t: ScalarType, little: Bool) -> Float {
        func u16() -> UInt16 { let v = raw.loadUnaligned(fromByteOffset: o, as: UInt16.self); return little ? UInt16(littleEndian: v) : UInt16(bigEndian: v) }
        func u32() -> UInt32 { let v = raw.loadUnaligned(fromByteOffset: o, as: UInt32.self); return little ? UInt32(littleEndian: v) : UInt32(bigEndian: v) }
        func u64() -> UInt64 { let v = raw.loadUnaligned(fromByteOffset: o, as: UInt64.self); return little ? UInt64(littleEndian: v) : UInt64(bigEndian: v) }
        switch t {
        case .char: return Float(Int8(bitPattern: raw[o]))
        case .uchar: return Float(raw[o])
        case .short: return Float(Int16(bitPattern: u16()))
        case .ushort: return Float(u16())
        case .int: return Float(Int32(bitPattern: u32()))
        case .uint: return Float(u32())
        case .float: return Float(bitPattern: u32())
        case .double: return Float(Double(bitPattern: u64()))
        }
    }

    // MARK: writing

    /// Serialises as `binary_little_endian` with every property `float`.
    public func binaryLittleEndianData() -> Data {
        var header = "ply\nformat binary_little_endian 1.0\n"
        for c in comments { header += "comment \(c)\n" }
        for e in elements {
            header += "element \(e.name) \(e.count)\n"
            for p in e.propertyNames { header += "property float \(p)\n" }
        }
        header += "end_header\n"
        var data = Data(header.utf8)
        for e in elements {
            var body = [UInt32](repeating: 0, count: e.count * e.propertyNames.count)
            let np = e.propertyNames.count
            for row in 0..<e.count { for p in 0..<np { body[row * np + p] = e.columns[p][row].bitPattern.littleEndian } }
            body.withUnsafeBytes { data.append(contentsOf: $0) }
        }
        return data
    }

    /// Writes atomically as binary little-endian float32.
    public func write(_ url: URL) throws { try writeAtomically(binaryLittleEndianData(), to: url) }
}
