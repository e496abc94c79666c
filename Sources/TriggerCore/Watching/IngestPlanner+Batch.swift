public import IMAPClient

extension IngestPlanner {
    /// Plans a batch of fetched messages, in order, on up to `ways` child tasks. Parsing and
    /// payload building are the serial part of a sync: spread over the cores, they keep pace
    /// with the fetch and the deliveries of a burst instead of holding both back.
    public func plan(_ batch: [FetchedMessage], uidValidity: UInt32, ways: Int) async -> [Plan] {
        let ways = min(max(1, ways), batch.count)
        guard ways > 1 else { return batch.map { plan($0, uidValidity: uidValidity) } }
        let chunkSize = (batch.count + ways - 1) / ways
        return await withTaskGroup(of: (start: Int, plans: [Plan]).self) { group in
            for start in stride(from: 0, to: batch.count, by: chunkSize) {
                let chunk = batch[start..<min(start + chunkSize, batch.count)]
                group.addTask { (start, chunk.map { plan($0, uidValidity: uidValidity) }) }
            }
            var parts: [(start: Int, plans: [Plan])] = []
            for await part in group { parts.append(part) }
            return parts.sorted { $0.start < $1.start }.flatMap(\.plans)
        }
    }
}
