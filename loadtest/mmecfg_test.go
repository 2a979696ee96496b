package loadtest_test

import "github.com/lte-mme/mme/loadtest/internal/mmesim"

func mmesimCfg() mmesim.Config { return mmesim.Config{EMMInformation: true} }
