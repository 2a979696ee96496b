package loadtest_test

import "github.com/lte-mme/mme/loadtest/mmetest"

func mmeCfg() mmetest.Config { return mmetest.Config{EMMInformation: true} }
