public import Foundation
import GRDB

extension StateStore {
    /// What the store keeps of a profile's OAuth 2.0 tokens.
    public struct OAuthTokens: Hashable, Sendable {
        public var accessToken: String?
        public var expiresAt: Date?
        /// The newest refresh token, when the authorization server rotated it.
        public var refreshToken: String?
        /// A digest of the configured refresh token `refreshToken` descends from: once the
        /// configuration names another (a new `oauth login`), the stored one no longer counts.
        public var refreshOrigin: String?

        public init(accessToken: String? = nil, expiresAt: Date? = nil, refreshToken: String? = nil, refreshOrigin: String? = nil) {
            self.accessToken = accessToken
            self.expiresAt = expiresAt
            self.refreshToken = refreshToken
            self.refreshOrigin = refreshOrigin
        }
    }

    public func oauthTokens(profile: String) throws -> OAuthTokens? {
        try database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM oauth_token WHERE profile = ?", arguments: [profile]).map { row in
                OAuthTokens(accessToken: row["access_token"], expiresAt: (row["expires_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
                            refreshToken: row["refresh_token"], refreshOrigin: row["refresh_origin"])
            }
        }
    }

    public func setOAuthTokens(_ tokens: OAuthTokens, profile: String, now: Date = Date()) throws {
        try database.write { db in
            try db.execute(sql: """
                INSERT INTO oauth_token (profile, access_token, expires_at, refresh_token, refresh_origin, updated_at)
                VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (profile) DO UPDATE SET access_token = excluded.access_token, expires_at = excluded.expires_at,
                    refresh_token = excluded.refresh_token, refresh_origin = excluded.refresh_origin, updated_at = excluded.updated_at
                """, arguments: [profile, tokens.accessToken, tokens.expiresAt?.timeIntervalSince1970, tokens.refreshToken,
                                 tokens.refreshOrigin, now.timeIntervalSince1970])
        }
    }
}
