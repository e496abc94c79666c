public import IMAPCore

extension IMAPSession {
    /// CAPABILITY (RFC 3501 §6.1.1).
    @discardableResult
    public func capability() async throws -> [Capability] {
        let result = try await run(.capability)
        for case let .capability(list) in result.untagged { return list }
        return try await capabilities
    }

    /// LOGIN (RFC 3501 §6.2.3). Refused locally when the server advertises LOGINDISABLED.
    public func login(username: String, password: String) async throws {
        guard try await !supports(.loginDisabled) else {
            throw IMAPClientError(.unsupported, "server disables LOGIN on this connection (LOGINDISABLED)")
        }
        try await authenticated(.login(username: username, password: password), sasl: nil)
    }

    /// AUTHENTICATE with any SASL mechanism (RFC 3501 §6.2.2), with the initial response
    /// inline when the server offers SASL-IR (RFC 4959).
    public func authenticate(_ mechanism: any SASLMechanism) async throws {
        let capabilities = try await self.capabilities
        guard capabilities.contains(.auth(mechanism.name)) else {
            throw IMAPClientError(.unsupported, "server does not offer AUTH=\(mechanism.name)")
        }
        let initial = capabilities.contains(.saslIR) ? try mechanism.initialResponse() : nil
        try await authenticated(.authenticate(mechanism: mechanism.name, initialResponse: initial), sasl: mechanism)
    }

    private func authenticated(_ command: Command, sasl: (any SASLMechanism)?) async throws {
        let result = try await execute(command, sasl: sasl)
        guard result.status.kind == .ok else {
            throw IMAPClientError(.authenticationFailed, "authentication failed",
                                  serverText: result.status.text, responseCode: result.status.code)
        }
        // Capabilities change after login (RFC 3501 §6.2.3); re-read unless sent in the OK.
        if case .capability = result.status.code { return }
        _ = try await capability()
    }

    /// ID (RFC 2971): tells the server who we are; returns what the server says of itself.
    public func id(_ fields: [IDField]?) async throws -> [IDField] {
        let result = try await run(.id(fields))
        for case let .id(fields) in result.untagged { return fields }
        return []
    }

    /// ENABLE (RFC 5161); returns what the server enabled.
    public func enable(_ capabilities: [Capability]) async throws -> [Capability] {
        let result = try await run(.enable(capabilities))
        return result.untagged.flatMap { response -> [Capability] in
            if case let .enabled(list) = response { return list }
            return []
        }
    }

    /// NOOP (RFC 3501 §6.1.2): a round trip that also collects pending mailbox updates.
    public func noop() async throws {
        try await run(.noop)
    }
}
