/** The keys every test server (in-process or its own process) is started with. */
export const ADMIN_KEY = "fc_test_admin_key_0123456789abcdef";
export const WORKER_KEY = "fc_test_worker_key_0123456789abcdef";
