public import NIOCore

/// A Swift task executor (SE-0417) that runs jobs on one SwiftNIO event loop.
///
/// Deliveries are I/O: a task that posts a webhook waits for a response that arrives on an
/// event loop. On the default executor every such wait ends with a hop from the loop's thread
/// to a thread of the global pool, a futex wake-up per delivery; a task that prefers the loop
/// resumes on the thread the response arrived on. Only short, non-blocking work belongs here:
/// the event loop also carries the connections' I/O.
public final class EventLoopTaskExecutor: TaskExecutor {
    public let eventLoop: any EventLoop

    public init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
