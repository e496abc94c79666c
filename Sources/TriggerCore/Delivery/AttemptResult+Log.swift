extension StateStore.AttemptResult {
    /// `succeeded`, `retryable` or `permanent`, for logs.
    var label: String {
        switch self {
        case .succeeded: return "succeeded"
        case .retryable: return "retryable"
        case .permanent: return "permanent"
        }
    }

    /// The failure reason, if any.
    var reason: String? {
        switch self {
        case .succeeded: return nil
        case let .retryable(reason, _), let .permanent(reason): return reason
        }
    }
}
